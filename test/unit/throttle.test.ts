import { strict as assert } from 'node:assert';
import { mock, test } from 'node:test';
import { Throttle } from '../../extension/treeViews/throttle';

test('Throttle: the first request runs at once, a burst then runs once at the end of the interval, nothing is lost', () => {
  mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 10_000 });
  try {
    let runs = 0;
    const throttle = new Throttle(1000, () => runs++);
    throttle.request();
    assert.equal(runs, 1, 'leading edge');
    for (let i = 0; i < 50; i++) {
      mock.timers.tick(10);
      throttle.request();
    }
    assert.equal(runs, 1, 'a burst inside the interval waits');
    mock.timers.tick(500);
    assert.equal(runs, 2, 'trailing edge: once, for the whole burst');
    mock.timers.tick(5000);
    assert.equal(runs, 2, 'no repeat without a request');
    throttle.request();
    assert.equal(runs, 3, 'idle long enough: at once again');
    throttle.request();
    throttle.dispose();
    mock.timers.tick(5000);
    assert.equal(runs, 3, 'disposed: the pending run is dropped');
  } finally {
    mock.timers.reset();
  }
});
