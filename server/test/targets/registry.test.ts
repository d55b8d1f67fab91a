import fs from 'fs';
import os from 'os';
import path from 'path';
import { parseTargetFile, writePanelTargets } from '../../src/targets/targetFiles';
import { TargetRegistry, THIS_MACHINE } from '../../src/targets/targetRegistry';

let dataDir: string;
const warnings: string[] = [];
const registry = () => new TargetRegistry({ dataDir, localUrl: 'http://127.0.0.1:8888/', warn: m => warnings.push(m) });
const write = (file: string, json: unknown) => fs.writeFileSync(path.join(dataDir, file), JSON.stringify(json));
const jupyter = (name: string, token = `${name}-token`) => ({
  name,
  url: `http://127.0.0.1:9/${encodeURIComponent(name)}`,
  token
});

beforeEach(() => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'elastic-targets-'));
  warnings.length = 0;
});
afterEach(() => fs.rmSync(dataDir, { recursive: true, force: true }));

describe('TargetRegistry', () => {
  test('this machine first, then the configured, the file and the panel targets', async () => {
    write('configured-targets.json', { targets: [jupyter('a')] });
    write('targets.json', [
      jupyter('b'),
      { name: 'hub', kind: 'jupyterhub', hubUrl: 'https://hub.example', apiToken: 'h', user: 'ann', server: 'gpu' }
    ]);
    write('panel-targets.json', { targets: [jupyter('c')] });
    const { targets, invalid } = await registry().snapshot();
    expect(targets.map(t => [t.resolved.name, t.resolved.kind, t.origin])).toEqual([
      [THIS_MACHINE, 'local', 'config'],
      ['a', 'jupyter', 'config'],
      ['b', 'jupyter', 'file'],
      ['hub', 'jupyterhub', 'file'],
      ['c', 'jupyter', 'panel']
    ]);
    expect(invalid).toEqual([]);
    expect(warnings).toEqual([]);
  });

  test('resolve gives the token and a URL ending with a slash; Hub targets their user and server', async () => {
    write('targets.json', [
      jupyter('b'),
      { name: 'hub', kind: 'jupyterhub', hubUrl: 'https://hub.example', apiToken: 'h', user: 'ann', profile: 'big' }
    ]);
    const targets = registry();
    expect(await targets.resolve('b')).toEqual({
      name: 'b',
      kind: 'jupyter',
      url: 'http://127.0.0.1:9/b/',
      token: 'b-token'
    });
    expect(await targets.resolve('hub')).toEqual({
      name: 'hub',
      kind: 'jupyterhub',
      url: 'https://hub.example/',
      token: 'h',
      hub: { user: 'ann', server: '', profile: 'big', userOptions: undefined }
    });
    expect(await targets.resolve(THIS_MACHINE)).toEqual({
      name: THIS_MACHINE,
      kind: 'local',
      url: 'http://127.0.0.1:8888/',
      token: ''
    });
    await expect(targets.resolve('nobody')).rejects.toMatchObject({ status: 404, message: 'no target named "nobody"' });
  });

  test('malformed files and entries are listed as errors, warned once, never fatal, never with a value', async () => {
    fs.writeFileSync(path.join(dataDir, 'configured-targets.json'), '{not json');
    write('targets.json', [
      jupyter('fine'),
      { name: 'no token', url: 'http://127.0.0.1:9/' },
      { name: 'creds', url: 'http://user:secret-pass@127.0.0.1:9/', token: 'x' },
      { name: 'odd key', url: 'http://127.0.0.1:9/', token: 'x', tokne: 'secret-typo' },
      { url: 'http://127.0.0.1:9/', token: 'x' },
      { name: 'hub', kind: 'jupyterhub', hubUrl: 'http://127.0.0.1:9/', apiToken: 'x' },
      jupyter('Fine', 'another')
    ]);
    write('panel-targets.json', { other: 1 });
    const targets = registry();
    const { targets: known, invalid } = await targets.snapshot();
    expect(known.map(t => t.resolved.name)).toEqual([THIS_MACHINE, 'fine']);
    expect(invalid.map(i => [i.name, i.origin, i.error])).toEqual([
      ['Fine', 'file', 'target "Fine" of targets.json: the name is already used (targets.json)'],
      ['configured-targets.json', 'config', expect.stringMatching(/^configured-targets\.json: not JSON \(/)],
      ['no token', 'file', 'targets.json: target 1: token: Invalid input: expected string, received undefined'],
      ['creds', 'file', 'targets.json: target 2: url: must not carry credentials (give the token apart)'],
      ['odd key', 'file', 'targets.json: target 3: Unrecognized key: "tokne"'],
      ['targets.json #4', 'file', 'targets.json: target 4: name: Invalid input: expected string, received undefined'],
      ['hub', 'file', 'targets.json: target 5: user: Invalid input: expected string, received undefined'],
      ['panel-targets.json', 'panel', 'panel-targets.json: must hold a list of targets or {"targets": [...]}']
    ]);
    expect(warnings).toHaveLength(8);
    await targets.snapshot();
    expect(warnings).toHaveLength(8);
    expect(warnings.join('\n')).not.toMatch(/secret|another/);
  });

  test('a name is unique whatever its case, and "this machine" is taken', async () => {
    write('targets.json', [jupyter('This Machine'), jupyter('x'), jupyter('X')]);
    const { targets, invalid } = await registry().snapshot();
    expect(targets.map(t => t.resolved.name)).toEqual([THIS_MACHINE, 'x']);
    expect(invalid.map(i => i.name)).toEqual(['This Machine', 'X']);
    await expect(registry().checkNameFree('THIS MACHINE')).rejects.toMatchObject({ status: 409 });
    await expect(registry().checkNameFree('y')).resolves.toBeUndefined();
  });

  test('panel targets: added to a 0600 file, removed; others cannot be removed', async () => {
    write('targets.json', [jupyter('from file')]);
    const targets = registry();
    await targets.add({ name: 'p1', url: 'http://127.0.0.1:9/', token: 'tok1' });
    await targets.add({ name: 'p2', url: 'http://127.0.0.1:9/', token: 'tok2' });
    const file = path.join(dataDir, 'panel-targets.json');
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(JSON.parse(fs.readFileSync(file, 'utf8')).targets.map((t: { name: string }) => t.name)).toEqual([
      'p1',
      'p2'
    ]);
    await expect(targets.add({ name: 'P1', url: 'http://127.0.0.1:9/', token: 't' })).rejects.toMatchObject({
      status: 409,
      message: 'name: a target named "p1" exists already'
    });
    await expect(targets.remove('from file')).rejects.toMatchObject({ status: 403 });
    await expect(targets.remove(THIS_MACHINE)).rejects.toMatchObject({
      status: 403,
      message: 'this machine is built in: it cannot be removed'
    });
    await expect(targets.remove('nobody')).rejects.toMatchObject({ status: 404 });
    await targets.remove('p1');
    expect((await targets.snapshot()).targets.map(t => t.resolved.name)).toEqual([THIS_MACHINE, 'from file', 'p2']);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    // No temporary file is left behind.
    expect(fs.readdirSync(dataDir).sort()).toEqual(['panel-targets.json', 'targets.json']);
  });

  test('concurrent panel additions all land', async () => {
    const targets = registry();
    await Promise.all(['a', 'b', 'c', 'd'].map(name => targets.add({ name, url: 'http://127.0.0.1:9/', token: 't' })));
    expect((await targets.snapshot()).targets.map(t => t.resolved.name).sort()).toEqual(
      ['a', 'b', 'c', 'd', THIS_MACHINE].sort()
    );
  });

  test('a panel file replaced while a 0644 one was there ends 0600', async () => {
    const file = path.join(dataDir, 'panel-targets.json');
    fs.writeFileSync(file, '[]', { mode: 0o644 });
    await writePanelTargets(dataDir, [{ name: 'p', url: 'http://127.0.0.1:9/', token: 't' }]);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
  });
});

describe('parseTargetFile', () => {
  test('a list or {targets: [...]}', () => {
    expect(parseTargetFile(JSON.stringify([jupyter('a')]), 'f.json', 'file').targets).toHaveLength(1);
    expect(parseTargetFile(JSON.stringify({ targets: [jupyter('a')] }), 'f.json', 'file').targets).toHaveLength(1);
    expect(parseTargetFile('"x"', 'f.json', 'file').invalid[0].error).toBe(
      'f.json: must hold a list of targets or {"targets": [...]}'
    );
  });

  test('URLs: http(s) only, no credentials, no token in the query', () => {
    const error = (url: string) =>
      parseTargetFile(JSON.stringify([{ name: 'n', url, token: 't' }]), 'f', 'file').invalid[0]?.error;
    expect(error('https://host.example:8888/base/')).toBeUndefined();
    expect(error('http://[::1]:8888/')).toBeUndefined();
    expect(error('ftp://host/')).toBe('f: target 0: url: must be an http(s) URL');
    expect(error('http://host/?token=abc')).toBe('f: target 0: url: must not carry credentials (give the token apart)');
    expect(error('http://bad host/')).toBe('f: target 0: url: must be an http(s) URL');
  });
});
