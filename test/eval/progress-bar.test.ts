import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { createProgressBar, formatDuration } from '../../src/eval/progress-bar.ts';

function sink(isTTY: boolean): { stream: Writable & { isTTY?: boolean }; text: () => string } {
  let text = '';
  const stream = new Writable({ write(chunk, _e, done) { text += String(chunk); done(); } }) as Writable & { isTTY?: boolean };
  stream.isTTY = isTTY;
  return { stream, text: () => text };
}

describe('progress bar', () => {
  it('redraws one line in place on a terminal, with an ETA from this session\'s pace', () => {
    let now = 0;
    const { stream, text } = sink(true);
    const bar = createProgressBar(stream, 'suite', () => now);
    bar.update(10, 110); // 10 reused from a journal
    now = 2_000;
    bar.update(20, 110); // 10 items in 2 s → 90 left ≈ 18 s
    now = 2_050;
    bar.update(21, 110); // within 100 ms of the last draw: skipped
    now = 4_000;
    bar.update(110, 110);
    bar.finish();
    const frames = text().split('\r').filter(Boolean);
    assert.equal(frames.length, 3);
    assert.match(frames[1]!, /^\[####-{20}\] suite 20\/110 18% elapsed 0:02 ETA 0:18\u001b\[K$/);
    assert.match(frames[2]!, /^\[#{24}\] suite 110\/110 100% elapsed 0:04 ETA 0:00\u001b\[K\n$/);
  });

  it('writes plain lines at every 10% when not a terminal', () => {
    let now = 0;
    const { stream, text } = sink(false);
    const bar = createProgressBar(stream, 's', () => now);
    for (let done = 0; done <= 50; done++) {
      now = done * 100;
      bar.update(done, 50);
    }
    bar.finish();
    const lines = text().trimEnd().split('\n');
    assert.equal(lines.length, 11);
    assert.doesNotMatch(text(), /\r|\u001b/);
    assert.equal(lines[5], 's 25/50 50% elapsed 0:03 ETA 0:03');
    assert.equal(lines[10], 's 50/50 100% elapsed 0:05 ETA 0:00');
  });

  it('formats durations', () => {
    assert.deepEqual([formatDuration(5), formatDuration(65), formatDuration(3_725), formatDuration(Number.NaN)], ['0:05', '1:05', '1:02:05', '?']);
  });
});
