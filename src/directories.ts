import { NotSupportedError } from './core/errors.js';
import type { Directory } from './core/ports.js';

/** Routes `slack:…` and `teams:…` group references to the adapter that serves the platform. */
export class PlatformDirectories implements Directory {
  private readonly byPlatform = new Map<string, Directory>();

  register(platform: string, directory: Directory): void {
    this.byPlatform.set(platform, directory);
  }

  resolveGroupMembers(ref: string): Promise<string[]> {
    const platform = ref.slice(0, ref.indexOf(':'));
    const directory = this.byPlatform.get(platform);
    if (!directory) {
      return Promise.reject(new NotSupportedError(`group ${ref} is on ${platform || 'an unknown platform'}, which is not configured on this server`));
    }
    return directory.resolveGroupMembers(ref);
  }
}
