/**
 * What one signed-in person keeps on this device (the tickets page's offline copy of their
 * tickets): `localStorage` keys under this prefix, each value naming its owner (`userId`).
 * Signing out on any page removes them (`Session.logout`); a page that finds another
 * person's copy (or none signed in) removes it too.
 */
export const USER_STORAGE_PREFIX = 'ticketslave:user:';

/** Removes every key under `USER_STORAGE_PREFIX`. */
export function forgetUserData(): void {
  try {
    const keys: string[] = [];
    for (let i = 0; i < localStorage.length; i++) {
      const key = localStorage.key(i);
      if (key?.startsWith(USER_STORAGE_PREFIX)) keys.push(key);
    }
    for (const key of keys) localStorage.removeItem(key);
  } catch {
    // No storage (disabled, or not a browser): nothing was kept.
  }
}
