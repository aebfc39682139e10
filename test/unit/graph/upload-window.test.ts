import assert from 'node:assert/strict';
import { GRAPH_UPLOAD_LIMIT, UploadWindow, uploadWindow } from '../../../src/graph/upload-window';

describe('upload window (150 MB per 5 minutes per app and mailbox)', () => {
  it('lets bodies through while they fit, then says how long until the oldest leaves the window', () => {
    const window = new UploadWindow({ bytes: 100, windowMs: 1000 });
    assert.equal(window.waitFor(60, 0), 0);
    window.record(60, 0);
    window.record(30, 200);
    assert.equal(window.waitFor(10, 300), 0);
    assert.equal(window.waitFor(20, 300), 700, 'until the 60 bytes of t=0 leave');
    assert.equal(window.waitFor(80, 300), 900, 'until both earlier bodies leave');
    assert.equal(window.used(1000), 30);
    assert.equal(window.used(1200), 0);
  });

  it('counts a body until its request ended (Graph has it all only then)', () => {
    const window = new UploadWindow({ bytes: 100, windowMs: 1000 });
    const entry = window.record(90, 0);
    entry.at = 400; // the upload took 400 ms
    assert.equal(window.waitFor(20, 1100), 300);
  });

  it('never holds back a body larger than the whole window (Graph decides)', () => {
    const window = new UploadWindow({ bytes: 100, windowMs: 1000 });
    window.record(50, 0);
    assert.equal(window.waitFor(150, 10), 0);
  });

  it('is one window per Graph endpoint, app and mailbox across the runtime', () => {
    const a = uploadWindow('https://graph.microsoft.com', 'app', 'A@x.example', GRAPH_UPLOAD_LIMIT);
    assert.equal(uploadWindow('https://GRAPH.microsoft.com', 'APP', ' a@x.example', GRAPH_UPLOAD_LIMIT), a);
    assert.notEqual(
      uploadWindow('https://graph.microsoft.com', 'other', 'a@x.example', GRAPH_UPLOAD_LIMIT),
      a,
    );
    assert.equal(GRAPH_UPLOAD_LIMIT.bytes, 150_000_000);
    assert.equal(GRAPH_UPLOAD_LIMIT.windowMs, 300_000);
  });
});
