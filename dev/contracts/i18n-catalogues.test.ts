import { existsSync } from 'node:fs';
import path from 'node:path';
import { placeholders, type Message, type Messages } from '../../libs/ui/src/i18n/catalogue';
import { SERVICES } from './openapi-documents';

const ROOT = path.resolve(__dirname, '../..');

/**
 * Every catalogue pair: each frontend's `src/i18n/{en,de}.ts` and the shared components' in libs/ui.
 * Loaded by path, not imported: the frontends' sources are typed by svelte-check, not by this project.
 */
async function cataloguePairs(): Promise<{ name: string; en: Messages; de: Messages }[]> {
  const load = async (file: string, name: string): Promise<Messages> =>
    ((await import(path.join(ROOT, file))) as Record<string, Messages>)[name]!;
  const pairs = [
    {
      name: 'libs/ui',
      en: await load('libs/ui/src/i18n/ui-en.ts', 'uiEn'),
      de: await load('libs/ui/src/i18n/ui-de.ts', 'uiDe'),
    },
  ];
  for (const s of SERVICES) {
    const dir = `${s}-service/${s}-frontend/src/i18n`;
    if (!existsSync(path.join(ROOT, dir, 'en.ts'))) continue;
    pairs.push({
      name: `${s}-frontend`,
      en: await load(`${dir}/en.ts`, 'en'),
      de: await load(`${dir}/de.ts`, 'de'),
    });
  }
  return pairs;
}

const kind = (m: Message | undefined) =>
  m === undefined ? 'missing' : typeof m === 'string' ? 'text' : 'plural';
const texts = (m: Message) => (typeof m === 'string' ? [m] : [m.one, m.other]);

describe('message catalogues (English and German)', () => {
  it('when the frontends are listed, then every fan-facing frontend has a catalogue', async () => {
    expect((await cataloguePairs()).map((p) => p.name).sort()).toEqual(
      ['libs/ui', ...SERVICES.map((s) => `${s}-frontend`)].sort(),
    );
  });

  it('when each catalogue is read, then German has exactly the English keys, the same kind of message and the same placeholders', async () => {
    for (const { name, en, de } of await cataloguePairs()) {
      expect({ name, keys: Object.keys(de).sort() }).toEqual({ name, keys: Object.keys(en).sort() });
      const mismatches = Object.keys(en).flatMap((key) => {
        const e = en[key]!;
        const d = de[key];
        if (kind(d) !== kind(e)) return [`${key}: ${kind(e)} in English, ${kind(d)} in German`];
        const pe = placeholders(e).join(',');
        const pd = placeholders(d!).join(',');
        if (pe !== pd) return [`${key}: {${pe}} in English, {${pd}} in German`];
        if ([...texts(e), ...texts(d!)].some((t) => !t.trim())) return [`${key}: an empty text`];
        return [];
      });
      expect({ name, mismatches }).toEqual({ name, mismatches: [] });
    }
  });
});
