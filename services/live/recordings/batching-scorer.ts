// One model call for the windows that several recordings ask for in the same turn of the event
// loop. Each recording is analysed by its own ScoringEngine (its own clock: the recording's time),
// and each engine scores one hop at a time, so alone it would make batches of one or two windows;
// through this scorer the recordings analysed together on a thread share each batch. It explains
// where the scorer it wraps does.
import type { EmotionProbs } from '../../../core/events/schema.ts';
import type { StreamWindow } from '../../../core/model/runner.ts';
import type { ScoredWindow, Scorer } from '../scoring/scorer.ts';

interface Request {
  windows: readonly StreamWindow[];
  resolve: (scored: ScoredWindow[]) => void;
  reject: (err: unknown) => void;
}

export class BatchingScorer implements Scorer {
  private pending: Request[] = [];
  private scheduled = false;
  readonly explainWindows?: (windows: readonly StreamWindow[]) => Promise<ScoredWindow[]>;

  constructor(private readonly inner: Scorer) {
    if (inner.explainWindows) this.explainWindows = (windows) => this.request(windows);
  }

  get modelVersion(): string {
    return this.inner.modelVersion;
  }

  async scoreWindows(windows: readonly StreamWindow[]): Promise<EmotionProbs[]> {
    return (await this.request(windows)).map((w) => w.probs);
  }

  private request(windows: readonly StreamWindow[]): Promise<ScoredWindow[]> {
    return new Promise((resolve, reject) => {
      this.pending.push({ windows, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        // After the microtasks of this turn: every engine that is ready has asked by then.
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.scheduled = false;
    const requests = this.pending;
    this.pending = [];
    const windows = requests.flatMap((r) => r.windows);
    const scored = this.inner.explainWindows
      ? this.inner.explainWindows(windows)
      : this.inner.scoreWindows(windows).then((all) => all.map((probs) => ({ probs })));
    scored.then(
      (all) => {
        let at = 0;
        for (const r of requests) {
          r.resolve(all.slice(at, at + r.windows.length));
          at += r.windows.length;
        }
      },
      (err: unknown) => {
        for (const r of requests) r.reject(err);
      },
    );
  }
}
