// Types of chatstate-client (src/index.js).

/** A room's log entry: an event at its cursor (a Kafka offset). */
export interface Entry {
  cursor: number;
  event: ChatEvent;
}

/**
 * An event of a room; later servers add types and fields. `edit`, `delete`
 * and `react` carry the `id` of the message they change; `read` (the user's
 * own, never another's) the `cursor` of the marker.
 */
export interface ChatEvent {
  id: string;
  type: 'join' | 'leave' | 'message' | 'expire' | 'read' | 'edit' | 'delete' | 'react' | string;
  room: string;
  user: string;
  /** RFC 3339 UTC with milliseconds */
  ts: string;
  /** a message's (its latest, in a snapshot), or an edit's new text; absent once deleted */
  text?: string;
  session?: string;
  /** a message in a snapshot: edited since it was written */
  edited?: boolean;
  /** a message in a snapshot: deleted (and without text) */
  deleted?: boolean;
  /** a message in a snapshot: users per emoji, absent when none */
  reactions?: Record<string, number>;
  /** a `react` */
  emoji?: string;
  /** a `react`: added (true) or removed */
  on?: boolean;
  /** a `read`: the new marker */
  cursor?: number;
  /** `role`, `invite`, `kick`, `ban`, `mute`: the user acted on; a direct room's first `join`: the other user */
  target?: string;
  /** a `role`: `moderator` or `member` */
  role?: string;
  /** a `settings` that set them */
  private?: boolean;
  topic?: string;
  [field: string]: unknown;
}

/** A room's rules, from its snapshot and the events since. */
export interface Rules {
  /** '' for a direct room */
  owner: string;
  moderators: string[];
  private: boolean;
  /** '' when none */
  topic: string;
  /** the two users of a direct room, else empty */
  dm: string[];
  /** complete only when `listed` (the owner's and moderators' snapshots) */
  banned: string[];
  /** complete only when `listed`; else those seen muted in live events */
  muted: string[];
  listed: boolean;
}

/** Why a room turned left. */
export interface Left {
  reason: 'leave' | 'kick' | 'ban' | 'error' | 'closed';
  /** a kick's or ban's: who did it */
  by?: string;
}

/** The user's unread state in a room, from the server's `unread` frames. */
export interface Unread {
  /** messages of others after the marker */
  count: number;
  /** of those, the ones that mention the user (`@name`) */
  mentions: number;
  /** the user's read marker */
  cursor: number;
}

export interface Member {
  user: string;
  sessions: number;
}

/** Where a room was: its last cursor delivered and the epoch of its log. */
export interface Position {
  cursor: number;
  epoch: string;
}

/** Keeps room positions beyond a client's life (see localStorageStore). */
export interface CursorStore {
  load(room: string): Position | null | undefined;
  save(room: string, position: Position): void;
  remove(room: string): void;
}

export interface ClientOptions {
  /** WebSocket endpoint (`ws://host:8080/ws`) or the server's base URL (`http://host:8080`, which gets `/ws`); default `/ws` of the page. http(s): becomes ws(s):. */
  url?: string;
  /** `?user=` (a server without an auth secret) */
  user?: string;
  /** a JWT, `?token=` (a server with --auth-secret) */
  token?: string;
  /** the WebSocket class; default globalThis.WebSocket */
  WebSocket?: new (url: string) => WebSocketLike;
  /** keeps each room's position, so that a new client resumes */
  store?: CursorStore;
  /** messages of a fresh snapshot, at most 500; default 50 */
  history?: number;
  /** default 250 */
  backoffMinMs?: number;
  /** default 5000 */
  backoffMaxMs?: number;
  /** a connection live this long starts the backoff over; default 5000 */
  stableMs?: number;
  /** default 20000 */
  pingMs?: number;
  /** no frame for this long: the connection is replaced; default 65000 */
  staleMs?: number;
  /** no `hello` this long after connecting: try again; default 10000 */
  connectTimeoutMs?: number;
  /** how long a send or request waits for its answer; default 20000 */
  ackTimeoutMs?: number;
  /** delay before a refused rejoin is tried again; default 3000 */
  joinRetryMs?: number;
  /** longest text `send` hands on; default 60000 */
  maxTextBytes?: number;
}

/** What the client needs of a WebSocket. */
export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onmessage: ((ev: { data: any }) => void) | null;
  onclose: ((ev: { code: number; reason: string }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
}

export type ConnectionState = 'idle' | 'connecting' | 'live' | 'reconnecting' | 'closed';
export type RoomStateName = 'joining' | 'joined' | 'leaving' | 'left';

/** Any frame of the protocol. */
export interface Frame {
  op: string;
  ref?: string;
  room?: string;
  [field: string]: unknown;
}

export interface Snapshot {
  /** the room starts afresh: drop what was shown; `events` are its history */
  reset: boolean;
  /** a resume the server had to cut: events before `events` are missing */
  gap: boolean;
  resumed: boolean;
  truncated: boolean;
  cursor: number;
  epoch: string;
  /** the room's message count */
  messages: number;
  members: Member[];
  /** entries not delivered before, oldest first */
  events: Entry[];
}

export interface Ack {
  ref: string;
  room: string;
  cursor: number;
}

export class Emitter<Events extends Record<string, any>> {
  on<K extends keyof Events & string>(type: K, fn: (payload: Events[K]) => void): () => void;
  once<K extends keyof Events & string>(type: K, fn: (payload: Events[K]) => void): () => void;
  off<K extends keyof Events & string>(type: K, fn: (payload: Events[K]) => void): void;
  emit<K extends keyof Events & string>(type: K, payload: Events[K]): void;
}

export class ChatError extends Error {
  constructor(code: string, message?: string, ref?: string);
  /** the server's code, or offline, not_joined, too_large, send_failed, timeout, disconnected, closed */
  code: string;
  /** the server's message, or empty */
  detail: string;
  ref: string | undefined;
  /** a failed join that the client tries again by itself */
  retrying: boolean;
}

export interface ClientEvents {
  state: ConnectionState;
  hello: { user: string; session: string; server: string; epoch: string };
  disconnect: { code: number; reason: string };
  error: ChatError;
  /** an invitation to a room, or a direct room another user opened with this one */
  invited: { room: string; by: string };
  frame: Frame;
}

export interface RoomEvents {
  snapshot: Snapshot;
  event: Entry;
  members: Member[];
  state: RoomStateName;
  error: ChatError;
  confirmed: { ref: string; text: string; cursor: number };
  unread: Unread & { room: string };
  rules: Rules;
  typing: Frame & { room: string; user: string };
  frame: Frame;
  left: Left;
}

export class Client extends Emitter<ClientEvents> {
  constructor(options?: ClientOptions);
  readonly options: Required<Omit<ClientOptions, 'url' | 'user' | 'token' | 'WebSocket' | 'store'>> & ClientOptions;
  user: string;
  token: string;
  session: string;
  epoch: string;
  state: ConnectionState;
  store: CursorStore | null;
  readonly live: boolean;
  open(): this;
  setIdentity(identity: { user?: string; token?: string }): void;
  join(name: string, opts?: { history?: number }): Room;
  /** opens (and joins) the direct room of this user and user: its name is dmRoomName(client.user, user) */
  dm(user: string, opts?: { history?: number }): Room;
  room(name: string): Room | undefined;
  rooms(): Room[];
  /** sends `{op, ...fields, ref}`; resolves with the frame that answers the ref */
  request(op: string, fields?: Record<string, unknown>, opts?: { timeoutMs?: number }): Promise<Frame>;
  /** resolves with the round trip in milliseconds */
  ping(): Promise<number>;
  close(): void;
}

export class Room extends Emitter<RoomEvents> {
  readonly name: string;
  readonly state: RoomStateName;
  readonly cursor: number;
  readonly epoch: string;
  readonly synced: boolean;
  readonly truncated: boolean;
  readonly messageCount: number;
  /** the latest `unread` of the room; null before the first */
  readonly unread: Unread | null;
  /** the room's rules; null before the first snapshot */
  readonly rules: Rules | null;
  /** whether the user is known to be muted here */
  readonly muted: boolean;
  members(): Member[];
  /** resolves once the room is joined; rejects if the join fails or the room is left first */
  joined(): Promise<Room>;
  send(text: string): Promise<Ack>;
  /** moves the user's read marker to cursor (default the room's cursor) */
  read(cursor?: number): Promise<Ack>;
  /** replaces the text of one of the user's own messages */
  edit(id: string, text: string): Promise<Ack>;
  /** deletes one of the user's own messages */
  delete(id: string): Promise<Ack>;
  /** the same as delete */
  remove(id: string): Promise<Ack>;
  /** adds (on, the default) or removes the user's reaction to a message */
  react(id: string, emoji: string, on?: boolean): Promise<Ack>;
  /** the owner's: privacy, topic or both */
  settings(settings: { private?: boolean; topic?: string }): Promise<Ack>;
  /** the owner's */
  role(user: string, role: 'moderator' | 'member'): Promise<Ack>;
  invite(user: string): Promise<Ack>;
  kick(user: string): Promise<Ack>;
  /** bans (on, the default) or unbans */
  ban(user: string, on?: boolean): Promise<Ack>;
  /** mutes (on, the default) or unmutes */
  mute(user: string, on?: boolean): Promise<Ack>;
  /** a typing notice, at most one per 2 s (false: dropped) */
  typing(): boolean;
  request(op: string, fields?: Record<string, unknown>, opts?: { timeoutMs?: number }): Promise<Frame>;
  leave(): Promise<void>;
}

/** The name of the direct room of two users: `dm-` and 32 hex digits. */
export function dmRoomName(a: string, b: string): string;

/** Creates a client and starts connecting. */
export function connect(options?: ClientOptions): Client;

export function memoryStore(): CursorStore & { rooms(): string[] };

export function localStorageStore(opts?: {
  prefix?: string;
  storage?: Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>;
}): CursorStore;
