// The service's REST API, and progress as server-sent events.
export class ApiError extends Error {
  constructor(status, detail) { super(detail); this.status = status; }
}

export async function api(path, options = {}) {
  const init = { headers: { Accept: "application/json" }, ...options };
  if (options.json !== undefined) {
    init.method = init.method || "POST";
    init.body = JSON.stringify(options.json);
    init.headers["Content-Type"] = "application/json";
  }
  const r = await fetch(`/api${path}`, init);
  if (r.status === 204) return null;
  const body = await r.json().catch(() => ({ detail: r.statusText }));
  if (!r.ok) throw new ApiError(r.status, body.detail || r.statusText);
  return { status: r.status, ...body, _list: Array.isArray(body) ? body : undefined };
}

export async function get(path) {
  const r = await api(path);
  return r._list ?? r;
}

// Follow a job until it ends: onEvent(job) for each update; resolves with the final job.
export function follow(jobId, onEvent) {
  return new Promise((resolve) => {
    const es = new EventSource(`/api/jobs/${encodeURIComponent(jobId)}/events`);
    const handle = (ev) => {
      const job = JSON.parse(ev.data);
      onEvent(job);
      if (["done", "failed", "cancelled"].includes(job.state)) { es.close(); resolve(job); }
    };
    for (const name of ["progress", "done", "failed", "cancelled"]) es.addEventListener(name, handle);
    es.onerror = async () => {
      // the stream broke (a restart, too many streams): fall back to asking
      es.close();
      let job;
      for (;;) {
        try { job = await get(`/jobs/${encodeURIComponent(jobId)}`); } catch { job = { id: jobId, state: "failed", error: "lost" }; }
        onEvent(job);
        if (["done", "failed", "cancelled"].includes(job.state)) break;
        await new Promise((r) => setTimeout(r, 1000));
      }
      resolve(job);
    };
  });
}
