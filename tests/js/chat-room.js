// The official `amazon-ivs-chat-messaging` ChatRoom against the emulator's
// chat edge, driven by tests/it/js/chat.rs.
//
// Two rooms objects join the same room: alice (every capability) and bob
// (none). Tokens come from CreateChatToken through @aws-sdk/client-ivschat,
// as a back end would make them. Lines of JSON on stdout tell the Rust test
// what happened:
//   {"ready":true}                    both connected; send the event now
//   {"event":{...}}                   the event named $EVENT_NAME arrived (alice's view)
//   {"done":{...}}                    the send/delete/disconnect round trips
// On any failure: {"error":"..."} and exit status 1.
//
// Environment: IVSCHAT_ENDPOINT (http://HOST:PORT), IVSCHAT_CHAT_URL
// (ws://HOST:PORT), ROOM_ARN, EVENT_NAME, AWS_ACCESS_KEY_ID,
// AWS_SECRET_ACCESS_KEY; IVSCHAT_WEBSOCKET=builtin uses Node's own
// WebSocket (node --experimental-websocket) instead of the `ws` package.
'use strict';

if (process.env.IVSCHAT_WEBSOCKET !== 'builtin') {
  globalThis.WebSocket = require('ws').WebSocket;
}
const {
  ChatRoom,
  SendMessageRequest,
  DeleteMessageRequest,
  DisconnectUserRequest,
} = require('amazon-ivs-chat-messaging');
const { IvschatClient, CreateChatTokenCommand } = require('@aws-sdk/client-ivschat');

const env = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set`);
  return v;
};
const print = (obj) => process.stdout.write(JSON.stringify(obj) + '\n');
const fail = (e) => {
  print({ error: String((e && e.stack) || e) });
  process.exit(1);
};
setTimeout(() => fail(new Error('timed out after 30 s')), 30000).unref();

const api = new IvschatClient({
  endpoint: env('IVSCHAT_ENDPOINT'),
  region: 'us-west-2',
  credentials: {
    accessKeyId: env('AWS_ACCESS_KEY_ID'),
    secretAccessKey: env('AWS_SECRET_ACCESS_KEY'),
  },
  maxAttempts: 1,
});
const roomArn = env('ROOM_ARN');

function room(userId, capabilities) {
  const r = new ChatRoom({
    regionOrUrl: env('IVSCHAT_CHAT_URL'),
    maxReconnectAttempts: 0,
    tokenProvider: async () => {
      const out = await api.send(
        new CreateChatTokenCommand({
          roomIdentifier: roomArn,
          userId,
          capabilities,
          attributes: { displayName: userId.toUpperCase() },
        }),
      );
      return {
        token: out.token,
        sessionExpirationTime: out.sessionExpirationTime,
        tokenExpirationTime: out.tokenExpirationTime,
      };
    },
  });
  r.logLevel = 'error';
  r.logger = { debug() {}, info() {}, warn() {}, error() {} };
  return r;
}

// Resolves with the first `name` event of `r` that passes `keep`.
function next(r, name, keep = () => true) {
  return new Promise((resolve) => {
    const off = r.addListener(name, (v) => {
      if (keep(v)) {
        off();
        resolve(v);
      }
    });
  });
}

async function connect(r) {
  const connected = next(r, 'connect');
  const disconnected = next(r, 'disconnect').then((reason) => {
    throw new Error(`disconnected while connecting: ${reason}`);
  });
  r.connect();
  await Promise.race([connected, disconnected]);
}

async function main() {
  const alice = room('alice', ['SEND_MESSAGE', 'DELETE_MESSAGE', 'DISCONNECT_USER']);
  const bob = room('bob', []);
  await connect(alice);
  await connect(bob);

  const eventName = env('EVENT_NAME');
  const aliceEvent = next(alice, 'event', (e) => e.eventName === eventName);
  const bobEvent = next(bob, 'event', (e) => e.eventName === eventName);
  print({ ready: true });
  const [event, seenByBob] = await Promise.all([aliceEvent, bobEvent]);
  print({
    event: {
      id: event.id,
      eventName: event.eventName,
      attributes: event.attributes,
      sendTime: event.sendTime.toISOString(),
      bobId: seenByBob.id,
    },
  });

  // bob may not send: the ERROR frame rejects his promise with code 403.
  let refused = null;
  try {
    await bob.sendMessage(new SendMessageRequest('nope'));
  } catch (e) {
    refused = { errorCode: e.errorCode, errorMessage: e.errorMessage };
  }

  const bobMessage = next(bob, 'message');
  const sent = await alice.sendMessage(new SendMessageRequest('hi all', { color: 'red' }));
  const got = await bobMessage;

  const bobDelete = next(bob, 'messageDelete');
  const deleted = await alice.deleteMessage(new DeleteMessageRequest(sent.id, 'spam'));
  const bobSawDelete = await bobDelete;

  const bobKicked = next(bob, 'userDisconnect');
  const bobGone = next(bob, 'disconnect');
  const kicked = await alice.disconnectUser(new DisconnectUserRequest('bob', 'ban'));
  const bobSawKick = await bobKicked;
  const reason = await bobGone;

  print({
    done: {
      refused,
      sent: { id: sent.id, content: sent.content, attributes: sent.attributes,
        sender: sent.sender },
      bobGot: { id: got.id, content: got.content, sender: got.sender },
      deleted: { messageId: deleted.messageId, reason: deleted.reason },
      bobSawDelete: { messageId: bobSawDelete.messageId, id: bobSawDelete.id },
      kicked: { userId: kicked.userId, reason: kicked.reason },
      bobSawKick: { userId: bobSawKick.userId, reason: bobSawKick.reason },
      bobDisconnectReason: reason,
      aliceState: alice.state,
    },
  });
  alice.disconnect();
  process.exit(0);
}

main().catch(fail);
