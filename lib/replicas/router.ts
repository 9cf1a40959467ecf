/**
 * Least outstanding work: each request goes to the replica with the fewest tokens still to compute,
 * counting for every request in flight its prompt (until the prompt has been prefilled) and the
 * tokens it may still write (maxTokens less those written). Ties go to the replica with fewer
 * requests in flight, then to the lower index, so an idle set fills in order.
 *
 * A replica whose device failed (taken out of service) gets no more requests while another is in
 * service: failing fast, it would otherwise look like the least loaded and draw all the traffic.
 *
 * The prompt's length is known only once the processor has built it (images are tiled first), so a
 * request counts its maxTokens from the start and its prompt from then on. A new request's own size
 * does not change which replica is least loaded, so it needs no estimate.
 */

/** A replica's load as the router sees it. */
export interface ReplicaLoad {
  /** Requests routed to it that have not ended. */
  inFlight: number;
  /** Prompt tokens not yet prefilled plus tokens that may still be written, over those requests. */
  outstandingTokens: number;
  /** Requests routed to it since the start. */
  routed: number;
  /** Why it gets no more requests (its device failed), when it is out of service. */
  outOfService?: string;
}

/** One routed request's share of its replica's load; every method is safe to call after end(). */
export interface RouteTicket {
  readonly replica: number;
  /** The prompt is built: it counts `promptTokens` until prefilled. */
  promptBuilt(promptTokens: number): void;
  /** `tokens` more were written (the first call also means the prompt was prefilled). */
  wrote(tokens: number): void;
  /** The request ended (finished, failed or cancelled): its load is gone. */
  end(): void;
}

export class ReplicaRouter {
  private readonly loads: ReplicaLoad[];

  constructor(replicas: number) {
    this.loads = Array.from({ length: replicas }, () => ({ inFlight: 0, outstandingTokens: 0, routed: 0 }));
  }

  /** A copy of every replica's load, by index. */
  snapshot(): ReplicaLoad[] {
    return this.loads.map((load) => ({ ...load }));
  }

  /** Replicas still in service. */
  inService(): number {
    return this.loads.filter((load) => load.outOfService === undefined).length;
  }

  /** Sends no more requests to `replica` while another is in service. */
  takeOutOfService(replica: number, reason: string): void {
    const load = this.loads[replica];
    if (load && load.outOfService === undefined) load.outOfService = reason;
  }

  /** Routes a request that may write up to `maxTokens`; its load counts until ticket.end(). */
  route(maxTokens: number): RouteTicket {
    const anyInService = this.inService() > 0;
    let best = -1;
    for (let i = 0; i < this.loads.length; i++) {
      const a = this.loads[i] as ReplicaLoad;
      if (anyInService && a.outOfService !== undefined) continue;
      const b = this.loads[best];
      if (
        !b ||
        a.outstandingTokens < b.outstandingTokens ||
        (a.outstandingTokens === b.outstandingTokens && a.inFlight < b.inFlight)
      )
        best = i;
    }
    const load = this.loads[best] as ReplicaLoad;
    load.inFlight++;
    load.routed++;
    load.outstandingTokens += maxTokens;
    let remaining = maxTokens;
    let pendingPrompt = 0;
    let prefilled = false;
    let ended = false;
    return {
      replica: best,
      promptBuilt(promptTokens) {
        if (ended || prefilled || pendingPrompt > 0) return;
        pendingPrompt = promptTokens;
        load.outstandingTokens += promptTokens;
      },
      wrote(tokens) {
        if (ended) return;
        const written = Math.min(tokens, remaining);
        load.outstandingTokens -= pendingPrompt + written;
        remaining -= written;
        pendingPrompt = 0;
        prefilled = true;
      },
      end() {
        if (ended) return;
        ended = true;
        load.outstandingTokens -= pendingPrompt + remaining;
        load.inFlight--;
      },
    };
  }
}
