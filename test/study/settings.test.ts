// The settings table, `syco run --help` and the README's settings list agree.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { SETTING_KEYS, SETTINGS, settingsMarkdown, settingsFromFlags, shownDefault, STAGES } from '../../lib/study/settings';

test('every setting has its flag, variable and default in syco run --help, and the README lists the same table', () => {
  const r = spawnSync(process.execPath, ['bin/syco.js', 'run', '--help'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const usageFlags = [...r.stdout.matchAll(/^ {2}--([a-z-]+)/gm)].map((m) => m[1]);
  const tableFlags = SETTING_KEYS.map((k) => SETTINGS[k].flag);
  assert.deepEqual(usageFlags.filter((f) => tableFlags.includes(f)), tableFlags, 'every setting in table order');
  assert.deepEqual(usageFlags.filter((f) => !tableFlags.includes(f)).sort(), ['figure-layer', 'figures', 'out', 'quiet', 'redo'], 'only the run command\'s own flags besides');
  for (const k of SETTING_KEYS) {
    const line = r.stdout.split('\n').find((l) => l.startsWith(`  --${SETTINGS[k].flag} `))!;
    assert.ok(line.includes(`(${SETTINGS[k].env}; default ${shownDefault(k)})`), line);
  }
  const readme = readFileSync('README.md', 'utf8');
  const m = /<!-- settings:begin -->\n([\s\S]*?)\n<!-- settings:end -->/.exec(readme);
  assert.ok(m, 'README has the settings list between its markers');
  assert.equal(m[1], settingsMarkdown(),
    "README's settings list differs from lib/study/settings.ts; regenerate it with\n" +
    "  node --import tsx -e \"import('./lib/study/settings.ts').then((m) => console.log(m.settingsMarkdown()))\"");
  const envs = SETTING_KEYS.map((k) => SETTINGS[k].env);
  assert.equal(new Set(envs).size, envs.length, 'one variable per setting');
  assert.equal(new Set(tableFlags).size, tableFlags.length, 'one flag per setting');
  for (const k of SETTING_KEYS) for (const s of SETTINGS[k].stages) assert.ok(STAGES.includes(s));
});

test('one grammar per setting: flags and variables parse alike, errors name the flag', () => {
  assert.deepEqual(settingsFromFlags({ layers: '3,1,1-2', position: 'mean', judge: 'none', normalize: 'unit' }), { layers: [1, 2, 3], position: 'mean', judge: null, normalize: 'unit' });
  assert.throws(() => settingsFromFlags({ 'steer-layers': 'all' }), /--steer-layers="all": expected "auto", a range or a list/);
  assert.throws(() => settingsFromFlags({ probes: 'lr,svm' }), /--probes="svm": expected one of lr, lr-recipe, mm, mm-iid, ccs/);
});
