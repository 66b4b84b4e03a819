"""Pure rules of Ampyre: plain dataclasses and functions, standard library only."""
