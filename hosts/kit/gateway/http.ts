// The plain shapes the gateway core speaks to its adapters: header lists, bodies as bytes or as chunks pulled
// one at a time, and the requests and answers built from them. No runtime's Request/Response/stream objects
// on the hot path (in Node each web stream costs more than a policy decision); each adapter converts once,
// at its edge, to what its runtime speaks.

/** Header [name, value] pairs, names in lower case, in order. */
export type HeaderList = [string, string][];

/** A body that streams: `next()` pulls the next chunk (a rejection: the source broke); `return()` lets go of it. */
export type Chunks = AsyncIterator<Uint8Array, undefined> & { return(): Promise<IteratorResult<Uint8Array, undefined>> };

export type Body = Uint8Array | Chunks | null;

/** What the gateway answers the client. */
export interface Answer {
  status: number;
  headers: HeaderList;
  body: Body;
}

/** What the upstream answered. */
export interface UpstreamAnswer {
  status: number;
  headers: HeaderList;
  body: Chunks | null;
}

/** A request to the upstream. */
export interface UpstreamRequest {
  method: string;
  headers: HeaderList;
  body: Uint8Array | null;
}

/** Lets the core cut off an upstream exchange (a timeout): the adapter sets `onCancel` when it starts one. */
export interface Cancel {
  cancelled: boolean;
  onCancel: (() => void) | null;
}

export function header(list: HeaderList, name: string): string | undefined {
  for (const [k, v] of list) if (k === name) return v;
  return undefined;
}

export function withoutHeaders(list: HeaderList, names: ReadonlySet<string>): HeaderList {
  return list.filter(([k]) => !names.has(k));
}

const enc = new TextEncoder();

export function answer(status: number, contentType: string | null, body: Uint8Array | string | null, headers: HeaderList = []): Answer {
  const h: HeaderList = contentType ? [["content-type", contentType], ...headers] : headers;
  return { status, headers: h, body: typeof body === "string" ? enc.encode(body) : body };
}

export const jsonAnswer = (status: number, body: Uint8Array | string, headers: HeaderList = []): Answer => answer(status, "application/json", body, headers);

export const textAnswer = (status: number, text: string, headers: HeaderList = []): Answer => answer(status, "text/plain; charset=utf-8", `toolgate: ${text}\n`, headers);

const DONE: IteratorResult<Uint8Array, undefined> = { done: true, value: undefined };

/** A web ReadableStream as Chunks (the Worker's bodies). */
export function chunksOf(stream: ReadableStream<Uint8Array>): Chunks {
  const reader = stream.getReader();
  return {
    next: () => reader.read() as Promise<IteratorResult<Uint8Array, undefined>>,
    return: async () => {
      await reader.cancel().catch(() => {});
      return DONE;
    },
  };
}

/** Chunks as a web ReadableStream, pulled as the reader asks (the Worker's answers). */
export function streamOf(chunks: Chunks): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>(
    {
      async pull(c) {
        const r = await chunks.next();
        if (r.done) c.close();
        else c.enqueue(r.value);
      },
      cancel: () => chunks.return().then(() => {}),
    },
    { highWaterMark: 0 },
  );
}

export { DONE };
