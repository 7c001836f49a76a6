/**
 * CPU profiling of a section of this process (the in-process server), through the inspector:
 * `start()` then `stop(path)` writes a .cpuprofile that Chrome DevTools or `node --cpu-prof`
 * tooling can read. Used by `--profile` so a bad figure comes with its evidence.
 */
import { writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';

/** A started profile; `stop` writes it to `path` and resolves with the path. */
export interface SectionProfile {
  stop(path: string): Promise<string>;
}

/** Starts sampling this process's main thread (100 µs interval). */
export async function profileSection(): Promise<SectionProfile> {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 100 });
  await session.post('Profiler.start');
  return {
    async stop(path) {
      const { profile } = await session.post('Profiler.stop');
      session.disconnect();
      await writeFile(path, JSON.stringify(profile));
      return path;
    },
  };
}
