// A fixed-row-height virtual list: only the rows in view (plus a margin) exist in the DOM, so the
// tree stays smooth at 100,000 nodes. Rendering a row is the caller's; this keeps the pool.

export interface VirtualListOptions {
  rowHeight: number;
  /** Fills `el` for row `index` (the element is reused: set everything). */
  renderRow: (el: HTMLElement, index: number) => void;
  overscan?: number;
}

export class VirtualList {
  readonly viewport: HTMLElement;
  private readonly spacer: HTMLElement;
  private readonly pool: HTMLElement[] = [];
  private count = 0;
  private frame = 0;

  constructor(
    readonly container: HTMLElement,
    private readonly opts: VirtualListOptions,
  ) {
    this.viewport = container;
    this.viewport.classList.add('vlist');
    this.spacer = document.createElement('div');
    this.spacer.className = 'vlist-spacer';
    this.viewport.append(this.spacer);
    this.viewport.addEventListener('scroll', () => this.schedule(), { passive: true });
    new ResizeObserver(() => this.schedule()).observe(this.viewport);
  }

  setCount(count: number): void {
    this.count = count;
    this.spacer.style.height = `${count * this.opts.rowHeight}px`;
    this.schedule();
  }

  /** Redraw the rows in view (their data changed). */
  refresh(): void {
    this.schedule();
  }

  /** Scrolls so row `index` is in view (the least movement). */
  scrollToIndex(index: number): void {
    const h = this.opts.rowHeight;
    const top = index * h;
    const vp = this.viewport;
    if (top < vp.scrollTop) vp.scrollTop = top;
    else if (top + h > vp.scrollTop + vp.clientHeight) vp.scrollTop = top + h - vp.clientHeight;
    this.schedule();
  }

  get pageSize(): number {
    return Math.max(1, Math.floor(this.viewport.clientHeight / this.opts.rowHeight) - 1);
  }

  private schedule(): void {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.draw();
    });
  }

  /** Draws now (tests and the first paint). */
  draw(): void {
    const h = this.opts.rowHeight;
    const overscan = this.opts.overscan ?? 8;
    const first = Math.max(0, Math.floor(this.viewport.scrollTop / h) - overscan);
    const last = Math.min(this.count, Math.ceil((this.viewport.scrollTop + this.viewport.clientHeight) / h) + overscan);
    const needed = Math.max(0, last - first);
    while (this.pool.length < needed) {
      const el = document.createElement('div');
      el.className = 'vlist-row';
      this.viewport.append(el);
      this.pool.push(el);
    }
    for (let i = 0; i < this.pool.length; i++) {
      const el = this.pool[i]!;
      if (i < needed) {
        const index = first + i;
        el.hidden = false;
        el.style.transform = `translateY(${index * h}px)`;
        el.dataset.index = String(index);
        this.opts.renderRow(el, index);
      } else {
        el.hidden = true;
        delete el.dataset.index;
      }
    }
  }
}
