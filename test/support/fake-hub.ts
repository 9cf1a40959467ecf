/**
 * A Hugging Face hub on a loopback port, answering the calls @huggingface/hub makes as the hub does
 * (read from its source: model-info, list-files, file-download-info, WebBlob):
 *   GET /api/models/<id>/revision/<rev>   model info with `sha`, `gated`
 *   GET /api/models/<id>/tree/<rev>       the file listing (LFS files with `lfs.oid` = sha256)
 *   GET /<id>/resolve/<rev>/<path>        git files: 200 with ETag (git blob sha1) and X-Repo-Commit;
 *                                         LFS files: 302 to the CDN with X-Linked-Etag / X-Linked-Size
 *   GET /cdn-lfs/<id>/<sha256>            the LFS bytes, ETag = sha256 (per repo, so faults stay in one)
 * Every body honours Range. Faults for tests: a gated repo (401 without a token, 403 with a wrong
 * one), an invalid token (401 everywhere), a file cut off once mid-transfer, a file served with one
 * byte flipped, a file served without range support.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

export interface FakeFile {
  path: string;
  data: Buffer;
  /** Stored in LFS (served through the CDN redirect, named by sha256 in the cache). */
  lfs: boolean;
  /** The git blob id of the content (for LFS files, of the pointer file). */
  gitOid: string;
  sha256: string;
  /** The ETag the cache names the blob by: sha256 for LFS, the git blob id otherwise. */
  etag: string;
}

export interface FakeRepo {
  id: string;
  commit: string;
  files: FakeFile[];
  /** Tokens allowed to download (a gated repo); undefined: public. */
  gatedTokens?: Set<string>;
  /** Paths served with one byte flipped, under the right hashes. */
  corrupt?: Set<string>;
  /** Paths whose next body transfer stops after this many bytes, the connection destroyed. */
  cutOnce?: Map<string, number>;
  /** Paths served whole with 200 when Range asks for more than the size probe (bytes=0-0). */
  ignoreRange?: Set<string>;
}

/** A token the fake hub rejects everywhere, as the hub rejects a revoked or mistyped one. */
export const invalidToken = 'hf_invalid';

export interface RecordedRequest {
  method: string;
  path: string;
  range?: string;
  authorization?: string;
}

const gitBlobOid = (data: Buffer) =>
  createHash('sha1').update(`blob ${data.length}\0`).update(data).digest('hex');

/** Weights go through LFS, as on the hub; everything else stays in git. */
export function fakeFile(path: string, data: Buffer): FakeFile {
  const lfs = path.endsWith('.safetensors');
  const sha256 = createHash('sha256').update(data).digest('hex');
  const pointer = Buffer.from(
    `version https://git-lfs.github.com/spec/v1\noid sha256:${sha256}\nsize ${data.length}\n`,
  );
  const gitOid = gitBlobOid(lfs ? pointer : data);
  return { path, data, lfs, gitOid, sha256, etag: lfs ? sha256 : gitBlobOid(data) };
}

/** A repository from a folder's files plus extra files (path -> file on disk). */
export function fakeRepo(id: string, dir: string, extra: Record<string, string> = {}): FakeRepo {
  const files = readdirSync(dir).map((name) => fakeFile(name, readFileSync(join(dir, name))));
  for (const [path, source] of Object.entries(extra)) files.push(fakeFile(path, readFileSync(source)));
  const commit = createHash('sha1')
    .update(id)
    .update(files.map((f) => f.gitOid).join())
    .digest('hex');
  return { id, commit, files };
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

export class FakeHub {
  readonly requests: RecordedRequest[] = [];
  private readonly repos = new Map<string, FakeRepo>();
  private server?: Server;
  url = '';

  add(repo: FakeRepo): FakeRepo {
    this.repos.set(repo.id, repo);
    return repo;
  }

  async start(): Promise<string> {
    this.server = createServer((req, res) => this.handle(req, res));
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.url;
  }

  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Requests for file bodies (resolve and CDN), the ones a cached pull must not make. */
  downloads(): RecordedRequest[] {
    return this.requests.filter((r) => r.path.includes('/resolve/') || r.path.startsWith('/cdn-lfs/'));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', this.url);
    const path = decodeURIComponent(url.pathname);
    this.requests.push({
      method: req.method ?? 'GET',
      path,
      range: req.headers.range,
      authorization: req.headers.authorization,
    });
    if (req.headers.authorization === `Bearer ${invalidToken}`) {
      sendJson(res, 401, { error: 'Invalid credentials in Authorization header' });
      return;
    }
    const api = /^\/api\/models\/([^/]+\/[^/]+)\/(revision|tree)\/([^/]+)$/.exec(path);
    if (api) {
      this.api(res, api[1] as string, api[2] as string, api[3] as string);
      return;
    }
    const resolve = /^\/([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/.exec(path);
    if (resolve) {
      this.resolve(req, res, resolve[1] as string, resolve[2] as string, resolve[3] as string);
      return;
    }
    const cdn = /^\/cdn-lfs\/([^/]+\/[^/]+)\/([0-9a-f]{64})$/.exec(path);
    if (cdn) {
      const repo = this.repos.get(cdn[1] as string);
      const file = repo?.files.find((f) => f.sha256 === cdn[2]);
      if (repo && file) {
        this.body(req, res, repo, file, { ETag: `"${file.sha256}"` });
        return;
      }
    }
    sendJson(res, 404, { error: 'Not found' });
  }

  private repoOrError(res: ServerResponse, id: string, rev: string): FakeRepo | undefined {
    const repo = this.repos.get(id);
    if (!repo) {
      // The hub does not say whether a repository it will not show exists.
      sendJson(res, 401, { error: 'Repository not found' }, { 'X-Error-Code': 'RepositoryNotFound' });
      return undefined;
    }
    if (rev !== 'main' && rev !== repo.commit) {
      sendJson(res, 404, { error: `Invalid rev id: ${rev}` }, { 'X-Error-Code': 'RevisionNotFound' });
      return undefined;
    }
    return repo;
  }

  private api(res: ServerResponse, id: string, kind: string, rev: string): void {
    const repo = this.repoOrError(res, id, rev);
    if (!repo) return;
    if (kind === 'revision') {
      sendJson(res, 200, {
        _id: `id-${repo.commit.slice(0, 24)}`,
        id: repo.id,
        sha: repo.commit,
        private: false,
        gated: repo.gatedTokens ? 'manual' : false,
        downloads: 0,
        likes: 0,
        lastModified: '2026-01-01T00:00:00.000Z',
        pipeline_tag: 'image-text-to-text',
        siblings: repo.files.map((f) => ({ rfilename: f.path })),
      });
      return;
    }
    sendJson(
      res,
      200,
      repo.files.map((f) => ({
        type: 'file',
        oid: f.gitOid,
        size: f.data.length,
        path: f.path,
        ...(f.lfs ? { lfs: { oid: f.sha256, size: f.data.length, pointerSize: 134 } } : {}),
      })),
    );
  }

  private resolve(req: IncomingMessage, res: ServerResponse, id: string, rev: string, path: string): void {
    const repo = this.repoOrError(res, id, rev);
    if (!repo) return;
    if (repo.gatedTokens) {
      const token = req.headers.authorization?.replace(/^Bearer /, '');
      if (!token || !repo.gatedTokens.has(token)) {
        const status = token ? 403 : 401;
        sendJson(
          res,
          status,
          { error: `Access to model ${id} is restricted. You must have access to it and be authenticated.` },
          { 'X-Error-Code': 'GatedRepo' },
        );
        return;
      }
    }
    const file = repo.files.find((f) => f.path === path);
    if (!file) {
      sendJson(res, 404, { error: 'Entry not found' }, { 'X-Error-Code': 'EntryNotFound' });
      return;
    }
    const common = { 'X-Repo-Commit': repo.commit };
    if (file.lfs) {
      res.writeHead(302, {
        ...common,
        Location: `/cdn-lfs/${repo.id}/${file.sha256}`,
        ETag: `"${file.gitOid}"`,
        'X-Linked-Etag': `"${file.sha256}"`,
        'X-Linked-Size': String(file.data.length),
        'Content-Length': '0',
      });
      res.end();
      return;
    }
    this.body(req, res, repo, file, { ...common, ETag: `"${file.gitOid}"` });
  }

  private body(
    req: IncomingMessage,
    res: ServerResponse,
    repo: FakeRepo,
    file: FakeFile,
    headers: Record<string, string>,
  ): void {
    let data = file.data;
    if (repo.corrupt?.has(file.path)) {
      data = Buffer.from(data);
      data[data.length >> 1] = (data[data.length >> 1] as number) ^ 0xff;
    }
    const size = data.length;
    let start = 0;
    let end = size - 1;
    const ignored = repo.ignoreRange?.has(file.path) && req.headers.range !== 'bytes=0-0';
    const range = ignored ? null : /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
    if (range) {
      start = Number(range[1]);
      end = range[2] ? Math.min(Number(range[2]), size - 1) : size - 1;
    }
    const body = data.subarray(start, end + 1);
    res.writeHead(range ? 206 : 200, {
      ...headers,
      'Accept-Ranges': 'bytes',
      'Content-Type': 'application/octet-stream',
      'Content-Length': String(body.length),
      ...(range ? { 'Content-Range': `bytes ${start}-${end}/${size}` } : {}),
    });
    if (req.method === 'HEAD') return void res.end();
    const cutAfter = body.length > 1 ? repo.cutOnce?.get(file.path) : undefined;
    if (cutAfter !== undefined) {
      repo.cutOnce?.delete(file.path);
      res.write(body.subarray(0, cutAfter), () => res.socket?.destroy());
      return;
    }
    res.end(body);
  }
}
