import { afterEach, describe, expect, it } from 'vitest';
import { startBenchTrellis, type BenchTrellis } from '../../bench/lib/trellis-instance.ts';
import { generateInstances } from '../../bench/lib/mesh-generator.ts';

let trellis: BenchTrellis | undefined;

afterEach(async () => {
  await trellis?.close();
  trellis = undefined;
});

describe('the bench Trellis and its API calls', () => {
  it('registers over the API, reads back JSON, and rejects a refused registration with its reason', async () => {
    trellis = await startBenchTrellis();
    const instances = generateInstances({ services: 3, endpointsPerService: 2, namespaces: 1 });
    const elapsed = await trellis.load(instances, 4);
    expect(elapsed).toBeGreaterThan(0);
    const services = await trellis.request('GET', '/api/v1/services');
    expect(services.status).toBe(200);
    expect(JSON.stringify(services.body)).toContain(String(instances[0]?.['service']));
    const missing = await trellis.request('GET', '/api/v1/services/nowhere/nothing');
    expect(missing.status).toBe(404);
    expect(await trellis.status()).toMatchObject({ proxies: [] });
    await expect(trellis.register({ service: 'x' })).rejects.toThrow(/HTTP 400 .*address/);
  });
});
