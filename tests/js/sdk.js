// The AWS SDK for JavaScript v3 (@aws-sdk/client-ivschat) against the
// emulator, driven by tests/it/js/sdk.rs: every operation of the model
// round-trips, and every error the emulator produces parses into its
// modelled exception class with its members.
//
// Prints one JSON line {"operations":[...],"errors":{...}} naming what was
// exercised (the Rust test checks it against the emulator's own list), or
// {"error":"..."} and exits 1 on the first failed assertion.
//
// Environment: IVSCHAT_ENDPOINT, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
// LIMITED_KEY_ID / LIMITED_KEY_SECRET (a key that may call only ListRooms).
// The emulator must allow 3 rooms and 1 logging configuration per account
// and region, with quotas off.
'use strict';

const assert = require('node:assert/strict');
const sdk = require('@aws-sdk/client-ivschat');

const endpoint = process.env.IVSCHAT_ENDPOINT;
const client = (accessKeyId, secretAccessKey, region = 'us-west-2') =>
  new sdk.IvschatClient({
    endpoint,
    region,
    credentials: { accessKeyId, secretAccessKey },
    maxAttempts: 1,
  });
const c = client(process.env.AWS_ACCESS_KEY_ID, process.env.AWS_SECRET_ACCESS_KEY);
const used = new Set();
const errors = {};

async function call(Command, input, on = c) {
  used.add(Command.name.replace(/Command$/, ''));
  return on.send(new Command(input));
}

// Runs a call that must fail with `Class`; checks the common members.
async function fails(Class, status, Command, input, on = c) {
  try {
    await call(Command, input, on);
  } catch (e) {
    assert.ok(e instanceof Class, `${Command.name}: expected ${Class.name}, got ${e.name}: ${e.message}`);
    assert.equal(e.name, Class.name);
    assert.equal(e.$metadata.httpStatusCode, status);
    assert.match(e.$metadata.requestId, /^[0-9a-f-]{36}$/);
    assert.equal(typeof e.message, 'string');
    assert.ok(e.message.length > 0);
    errors[Class.name] = (errors[Class.name] || 0) + 1;
    return e;
  }
  assert.fail(`${Command.name} should have failed with ${Class.name}`);
}

async function faults(settings) {
  const r = await fetch(`${endpoint}/_emulator/faults`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(settings),
  });
  assert.equal(r.status, 200);
}

async function rooms() {
  const created = await call(sdk.CreateRoomCommand, {
    name: 'lobby',
    maximumMessageRatePerSecond: 20,
    maximumMessageLength: 200,
    tags: { team: 'a' },
    messageReviewHandler: { uri: 'arn:aws:lambda:us-west-2:123456789012:function:review' },
  });
  assert.match(created.arn, /^arn:aws:ivschat:us-west-2:123456789012:room\/[a-zA-Z0-9]{12}$/);
  assert.ok(created.createTime instanceof Date);
  assert.equal(created.messageReviewHandler.fallbackResult, 'ALLOW');
  const arn = created.arn;
  const got = await call(sdk.GetRoomCommand, { identifier: arn });
  assert.equal(got.maximumMessageLength, 200);
  const updated = await call(sdk.UpdateRoomCommand, {
    identifier: arn,
    name: 'lobby-2',
    messageReviewHandler: { uri: '' },
  });
  assert.equal(updated.name, 'lobby-2');
  assert.equal(updated.messageReviewHandler, undefined);
  const list = await call(sdk.ListRoomsCommand, { maxResults: 1, name: 'lobby-2' });
  assert.equal(list.rooms[0].arn, arn);
  await call(sdk.TagResourceCommand, { resourceArn: arn, tags: { env: 'test' } });
  await call(sdk.UntagResourceCommand, { resourceArn: arn, tagKeys: ['team'] });
  const tags = await call(sdk.ListTagsForResourceCommand, { resourceArn: arn });
  assert.deepEqual(tags.tags, { env: 'test' });
  return arn;
}

async function messaging(arn) {
  const sent = await call(sdk.SendEventCommand, {
    roomIdentifier: arn,
    eventName: 'SystemMessage',
    attributes: { msgText: 'hi' },
  });
  assert.match(sent.id, /^[a-zA-Z0-9]{12}$/);
  const token = await call(sdk.CreateChatTokenCommand, {
    roomIdentifier: arn,
    userId: 'alice',
    capabilities: ['SEND_MESSAGE'],
    sessionDurationInMinutes: 120,
  });
  assert.ok(token.token.length > 100);
  assert.ok(token.sessionExpirationTime > token.tokenExpirationTime);
  const del = await call(sdk.DeleteMessageCommand, { roomIdentifier: arn, id: 'CTL6o0mz5INk', reason: 'spam' });
  assert.match(del.id, /^[a-zA-Z0-9]{12}$/);
  await call(sdk.DisconnectUserCommand, { roomIdentifier: arn, userId: 'bob', reason: 'ban' });
}

async function logging(arn) {
  const made = await call(sdk.CreateLoggingConfigurationCommand, {
    name: 'logs',
    destinationConfiguration: { s3: { bucketName: 'my-bucket' } },
    tags: { team: 'a' },
  });
  assert.equal(made.state, 'ACTIVE');
  assert.match(made.arn, /:logging-configuration\/[a-zA-Z0-9]{12}$/);
  const got = await call(sdk.GetLoggingConfigurationCommand, { identifier: made.arn });
  assert.deepEqual(got.destinationConfiguration, { s3: { bucketName: 'my-bucket' } });
  const updated = await call(sdk.UpdateLoggingConfigurationCommand, {
    identifier: made.arn,
    destinationConfiguration: { cloudWatchLogs: { logGroupName: '/ivs/chat' } },
  });
  assert.deepEqual(updated.destinationConfiguration, { cloudWatchLogs: { logGroupName: '/ivs/chat' } });
  const list = await call(sdk.ListLoggingConfigurationsCommand, { maxResults: 5 });
  assert.equal(list.loggingConfigurations.length, 1);
  assert.equal(list.loggingConfigurations[0].arn, made.arn);

  await call(sdk.UpdateRoomCommand, { identifier: arn, loggingConfigurationIdentifiers: [made.arn] });
  const conflict = await fails(sdk.ConflictException, 409, sdk.DeleteLoggingConfigurationCommand, {
    identifier: made.arn,
  });
  assert.equal(conflict.resourceId, made.id);
  assert.equal(conflict.resourceType, 'ROOM');
  const quota = await fails(sdk.ServiceQuotaExceededException, 402, sdk.CreateLoggingConfigurationCommand, {
    destinationConfiguration: { firehose: { deliveryStreamName: 's' } },
  });
  assert.equal(quota.limit, 1);
  assert.equal(quota.resourceId, '123456789012');
  await call(sdk.UpdateRoomCommand, { identifier: arn, loggingConfigurationIdentifiers: [] });
  await call(sdk.DeleteLoggingConfigurationCommand, { identifier: made.arn });
  const gone = await fails(sdk.ResourceNotFoundException, 404, sdk.GetLoggingConfigurationCommand, {
    identifier: made.arn,
  });
  assert.equal(gone.resourceId, made.id);
}

async function modelledErrors(arn) {
  const v = await fails(sdk.ValidationException, 400, sdk.SendEventCommand, {
    roomIdentifier: arn,
    eventName: 'x'.repeat(101),
  });
  assert.equal(v.reason, 'FIELD_VALIDATION_FAILED');
  assert.deepEqual(v.fieldList, [
    { name: 'eventName', message: 'Member must have length less than or equal to 100' },
  ]);
  const page = await fails(sdk.ValidationException, 400, sdk.ListRoomsCommand, { nextToken: 'zzz' });
  assert.equal(page.reason, 'OTHER');

  const missing = 'arn:aws:ivschat:us-west-2:123456789012:room/nothere';
  const nf = await fails(sdk.ResourceNotFoundException, 404, sdk.GetRoomCommand, { identifier: missing });
  assert.equal(nf.resourceId, 'nothere');
  assert.equal(nf.resourceType, 'ROOM');

  await call(sdk.CreateRoomCommand, {});
  await call(sdk.CreateRoomCommand, {});
  const rooms = await fails(sdk.ServiceQuotaExceededException, 402, sdk.CreateRoomCommand, {});
  assert.equal(rooms.limit, 3);
  assert.equal(rooms.resourceType, 'ROOM');

  const limited = client(process.env.LIMITED_KEY_ID, process.env.LIMITED_KEY_SECRET);
  await call(sdk.ListRoomsCommand, {}, limited);
  const denied = await fails(sdk.AccessDeniedException, 403, sdk.DeleteRoomCommand, { identifier: arn }, limited);
  assert.match(denied.message, /ivschat:DeleteRoom/);

  await faults({ throttleRate: 1, operations: ['SendEvent'] });
  const t = await fails(sdk.ThrottlingException, 429, sdk.SendEventCommand, { roomIdentifier: arn, eventName: 'E' });
  assert.equal(t.limit, 100);
  assert.equal(t.resourceId, arn.split('/').pop());
  assert.equal(t.resourceType, 'ROOM');
  await faults({ errorRate: 1, errorStatuses: [500], operations: ['ListTagsForResource'] });
  await fails(sdk.InternalServerException, 500, sdk.ListTagsForResourceCommand, { resourceArn: arn });
  await faults({});

  // Unmodelled errors come through as the service exception with the code.
  const other = client('AKIAUNKNOWN000000000', 'x');
  try {
    await other.send(new sdk.ListRoomsCommand({}));
    assert.fail('an unknown key should be refused');
  } catch (e) {
    assert.equal(e.name, 'UnrecognizedClientException');
    assert.equal(e.$metadata.httpStatusCode, 403);
  }
}

async function main() {
  const arn = await rooms();
  await messaging(arn);
  await logging(arn);
  await modelledErrors(arn);
  await call(sdk.DeleteRoomCommand, { identifier: arn });
  await fails(sdk.ResourceNotFoundException, 404, sdk.GetRoomCommand, { identifier: arn });
  process.stdout.write(JSON.stringify({ operations: [...used].sort(), errors }) + '\n');
}

main().catch((e) => {
  process.stdout.write(JSON.stringify({ error: String((e && e.stack) || e) }) + '\n');
  process.exit(1);
});
