import type { HandlerResult, Route, RouteRequest } from './common.js';

/** A file held by the test server's files endpoint, as the API describes it. */
export interface StoredFile {
  readonly id: string;
  readonly object: 'file';
  readonly bytes: number;
  readonly created_at: number;
  readonly filename: string;
  readonly purpose: string;
  readonly status: 'processed';
  /** The file's content as uploaded (or as the server wrote it, for output files). */
  readonly content: string;
}

/** The OpenAI files endpoints of a test server, and the files it holds. */
export interface OpenAIFiles {
  /** Routes for `files.create` (multipart upload), `files.retrieve`, `files.content` and `files.delete`. */
  readonly routes: readonly Route[];
  /** Every file held, by id. */
  readonly files: ReadonlyMap<string, StoredFile>;
  /** Adds a file the server itself writes (a batch's output or error file); returns it. */
  add(content: string, purpose: string, filename: string): StoredFile;
}

/** Starts an empty files store; pass its `routes` to `startOpenAIServer({ routes })`. */
export function createOpenAIFiles(): OpenAIFiles {
  const files = new Map<string, StoredFile>();
  const add = (content: string, purpose: string, filename: string): StoredFile => {
    const file: StoredFile = {
      id: `file-${files.size + 1}`,
      object: 'file',
      bytes: Buffer.byteLength(content),
      created_at: 1_700_000_000 + files.size,
      filename,
      purpose,
      status: 'processed',
      content,
    };
    files.set(file.id, file);
    return file;
  };
  const describe = ({ content: _content, ...file }: StoredFile): Omit<StoredFile, 'content'> => file;
  const notFound = (id: string): HandlerResult => ({
    status: 404,
    body: { error: { message: `No such File object: ${id}`, type: 'invalid_request_error', param: 'id', code: null } },
  });
  const fileId = (path: string): string => path.split('/')[3] ?? '';

  const upload: Route = {
    matches: (method, path) => method === 'POST' && path === '/v1/files',
    handle: async (request) => {
      const form = await formOf(request);
      const file = form.get('file');
      const purpose = form.get('purpose');
      if (!(file instanceof Blob) || typeof purpose !== 'string') {
        return { status: 400, body: { error: { message: '`file` and `purpose` are required.', type: 'invalid_request_error', param: null, code: null } } };
      }
      const filename = file instanceof File ? file.name : 'upload.jsonl';
      return { status: 200, body: describe(add(await file.text(), purpose, filename)) };
    },
  };
  const retrieve: Route = {
    matches: (method, path) => method === 'GET' && /^\/v1\/files\/[^/]+$/.test(path),
    handle: (request) => {
      const file = files.get(fileId(request.path));
      return file === undefined ? notFound(fileId(request.path)) : { status: 200, body: describe(file) };
    },
  };
  const content: Route = {
    matches: (method, path) => method === 'GET' && /^\/v1\/files\/[^/]+\/content$/.test(path),
    handle: (request) => {
      const file = files.get(fileId(request.path));
      if (file === undefined) return notFound(fileId(request.path));
      return { status: 200, body: file.content, headers: { 'content-type': 'application/octet-stream' } };
    },
  };
  const remove: Route = {
    matches: (method, path) => method === 'DELETE' && /^\/v1\/files\/[^/]+$/.test(path),
    handle: (request) => {
      const id = fileId(request.path);
      if (!files.delete(id)) return notFound(id);
      return { status: 200, body: { id, object: 'file', deleted: true } };
    },
  };
  return { routes: [upload, retrieve, content, remove], files, add };
}

/** The multipart form of an upload, parsed by the platform's own `Request.formData()`. */
function formOf(request: RouteRequest): Promise<FormData> {
  const type = request.headers['content-type'] ?? '';
  return new Request('http://127.0.0.1/', { method: 'POST', body: request.raw, headers: { 'content-type': type } }).formData();
}
