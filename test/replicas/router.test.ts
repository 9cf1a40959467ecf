/** The replica router alone: least outstanding work, ties, and the load each ticket gives back. */
import { describe, expect, it } from 'vitest';
import { ReplicaRouter } from '../../lib/replicas/router.js';

describe('ReplicaRouter', () => {
  it('fills an idle set in order, then sends each request to the least outstanding work', () => {
    const router = new ReplicaRouter(3);
    const a = router.route(100);
    const b = router.route(100);
    const c = router.route(100);
    expect([a.replica, b.replica, c.replica]).toEqual([0, 1, 2]);
    a.promptBuilt(500); // replica 0 now has a long prompt to prefill
    c.wrote(60); // replica 2 has written most of its answer
    expect(router.snapshot()).toEqual([
      { inFlight: 1, outstandingTokens: 600, routed: 1 },
      { inFlight: 1, outstandingTokens: 100, routed: 1 },
      { inFlight: 1, outstandingTokens: 40, routed: 1 },
    ]);
    expect(router.route(10).replica).toBe(2);
    expect(router.route(50).replica).toBe(2); // 40 + 10 = 50 < 100
    expect(router.route(10).replica).toBe(1); // replica 2 holds 100 in 3 requests: the tie goes to replica 1
  });

  it('breaks equal token counts by fewer requests in flight', () => {
    const router = new ReplicaRouter(2);
    router.route(64);
    router.route(32);
    router.route(32); // replica 1: 64 tokens in two requests
    expect(router.snapshot()).toEqual([
      { inFlight: 1, outstandingTokens: 64, routed: 1 },
      { inFlight: 2, outstandingTokens: 64, routed: 2 },
    ]);
    expect(router.route(1).replica).toBe(0);
  });

  it('counts a prompt until its first token, and gives everything back once at the end', () => {
    const router = new ReplicaRouter(1);
    const ticket = router.route(10);
    ticket.promptBuilt(90);
    expect(router.snapshot()[0]?.outstandingTokens).toBe(100);
    ticket.wrote(0); // a first chunk without tokens still means the prompt is prefilled
    ticket.promptBuilt(90); // too late to count
    expect(router.snapshot()[0]?.outstandingTokens).toBe(10);
    ticket.wrote(25); // never below what maxTokens allowed
    expect(router.snapshot()[0]?.outstandingTokens).toBe(0);
    ticket.end();
    ticket.end();
    ticket.wrote(3);
    expect(router.snapshot()).toEqual([{ inFlight: 0, outstandingTokens: 0, routed: 1 }]);
  });

  it('gives back a request that ends before its prompt was prefilled', () => {
    const router = new ReplicaRouter(2);
    const ticket = router.route(512);
    ticket.promptBuilt(1000);
    ticket.end();
    expect(router.snapshot()).toEqual([
      { inFlight: 0, outstandingTokens: 0, routed: 1 },
      { inFlight: 0, outstandingTokens: 0, routed: 0 },
    ]);
  });

  it('sends nothing to a replica out of service while another is in service', () => {
    const router = new ReplicaRouter(2);
    router.takeOutOfService(0, 'device lost');
    expect([router.route(1).replica, router.route(1).replica]).toEqual([1, 1]);
    expect(router.inService()).toBe(1);
    expect(router.snapshot()[0]?.outOfService).toBe('device lost');
    router.takeOutOfService(1, 'device lost too');
    expect(router.inService()).toBe(0);
    expect(router.route(1).replica).toBe(0); // none left: requests still go somewhere, and fail there
  });
});
