// chatstate-client: a client of the chatstate WebSocket protocol for
// browsers and Node, without dependencies. See README.md.

export { Client, connect } from './client.js';
export { Room } from './room.js';
export { ChatError } from './errors.js';
export { Emitter } from './emitter.js';
export { localStorageStore, memoryStore } from './store.js';
export { dmRoomName } from './sha256.js';
