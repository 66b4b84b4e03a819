// Runs complete OCPP 1.6J charging sessions against a CSMS with the `ocpp-rpc` client
// (strict schema validation of every message in both directions), then prints a JSON report.
// Usage: node ocpp_rpc_sessions.js ENDPOINT IDENTITY PASSWORD ID_TAG SESSIONS
'use strict';
const { RPCClient } = require('ocpp-rpc');

const [endpoint, identity, password, idTag, sessionsArg] = process.argv.slice(2);
const sessions = Number(sessionsArg || '1');

function sampledValues(energyWh, powerW) {
  const values = [
    { value: String(energyWh), measurand: 'Energy.Active.Import.Register', unit: 'Wh', context: 'Sample.Periodic', location: 'Outlet' },
    { value: String(powerW), measurand: 'Power.Active.Import', unit: 'W', context: 'Sample.Periodic' },
    { value: '22000', measurand: 'Power.Offered', unit: 'W', context: 'Sample.Periodic' },
  ];
  for (const phase of ['L1', 'L2', 'L3']) {
    values.push({ value: (powerW / 3 / 230).toFixed(1), measurand: 'Current.Import', unit: 'A', phase, context: 'Sample.Periodic' });
    values.push({ value: '230.0', measurand: 'Voltage', unit: 'V', phase: `${phase}-N`, context: 'Sample.Periodic' });
  }
  values.push({ value: (energyWh / 1000).toFixed(3), measurand: 'Energy.Active.Import.Register', unit: 'kWh', context: 'Sample.Periodic', location: 'Inlet' });
  return values; // 10 sampled values
}

async function main() {
  const client = new RPCClient({ endpoint, identity, password, protocols: ['ocpp1.6'], strictMode: true, reconnect: false });
  const remote = { stops: 0 };
  client.handle('RemoteStopTransaction', () => { remote.stops += 1; return { status: 'Accepted' }; });
  client.handle('GetConfiguration', () => ({ configurationKey: [{ key: 'HeartbeatInterval', readonly: false, value: '300' }], unknownKey: [] }));
  await client.connect();
  const report = { identity, boot: null, authorize: [], authorizeInfo: [], transactions: [], meterValuesSent: 0 };
  const boot = await client.call('BootNotification', { chargePointVendor: 'ThirdParty', chargePointModel: 'ocpp-rpc', chargePointSerialNumber: 'TP-1', firmwareVersion: '2.2.1' });
  report.boot = boot.status;
  await client.call('Heartbeat', {});
  for (const connectorId of [0, 1]) {
    await client.call('StatusNotification', { connectorId, status: 'Available', errorCode: 'NoError', timestamp: new Date().toISOString() });
  }
  let meter = 1000;
  for (let i = 0; i < sessions; i += 1) {
    const auth = await client.call('Authorize', { idTag });
    report.authorize.push(auth.idTagInfo.status);
    report.authorizeInfo.push(auth.idTagInfo);
    await client.call('StatusNotification', { connectorId: 1, status: 'Preparing', errorCode: 'NoError' });
    const started = new Date(Date.now() - 120000);
    const start = await client.call('StartTransaction', { connectorId: 1, idTag, meterStart: meter, timestamp: started.toISOString() });
    await client.call('StatusNotification', { connectorId: 1, status: 'Charging', errorCode: 'NoError' });
    for (let k = 1; k <= 3; k += 1) {
      meter += 250;
      await client.call('MeterValues', { connectorId: 1, transactionId: start.transactionId, meterValue: [{ timestamp: new Date(started.getTime() + k * 30000).toISOString(), sampledValue: sampledValues(meter, 11000) }] });
      report.meterValuesSent += 1;
    }
    meter += 100;
    await client.call('StopTransaction', {
      transactionId: start.transactionId, meterStop: meter, timestamp: new Date().toISOString(), idTag, reason: 'EVDisconnected',
      transactionData: [{ timestamp: new Date().toISOString(), sampledValue: [{ value: String(meter), measurand: 'Energy.Active.Import.Register', unit: 'Wh', context: 'Transaction.End' }] }],
    });
    await client.call('StatusNotification', { connectorId: 1, status: 'Finishing', errorCode: 'NoError' });
    await client.call('StatusNotification', { connectorId: 1, status: 'Available', errorCode: 'NoError' });
    report.transactions.push({ transactionId: start.transactionId, status: start.idTagInfo.status, meterStart: meter - 850, meterStop: meter });
  }
  await client.close();
  process.stdout.write(JSON.stringify(report) + '\n');
}

main().catch((err) => { process.stderr.write(`${err.stack || err}\n`); process.exit(1); });
