"""One router per resource; paths are relative to the API's mount point (``/api/v1``)."""
