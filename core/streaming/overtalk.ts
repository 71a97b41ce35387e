// Overtalk: VAD frames where both speakers talk at once. The two tracks arrive independently, so
// decisions are matched by frame index; a track that falls too far behind (or never sends audio)
// counts as silent for the frames it missed, which keeps the pending queue bounded.

export class OvertalkMeter {
  private readonly pending: [number[], number[]] = [[], []];
  /** Frame index of pending[s][0] for each side. */
  private readonly head: [number, number] = [0, 0];
  private overtalkFrames = 0;

  constructor(
    private readonly frameMs: number,
    /** Most unmatched frames kept per side. */
    private readonly maxLagFrames = 500,
  ) {}

  get overtalkMs(): number {
    return this.overtalkFrames * this.frameMs;
  }

  /** Records frame `index` of side 0 or 1; frames of one side must arrive in order. */
  frame(side: 0 | 1, index: number, speech: boolean): void {
    const other = side === 0 ? 1 : 0;
    const mine = this.pending[side];
    const theirs = this.pending[other];
    // The other side already reported this frame: match it now.
    if (index < this.head[other] + theirs.length && index >= this.head[other]) {
      // Everything the other side holds before `index` can no longer be matched by this side.
      const skip = index - this.head[other];
      theirs.splice(0, skip);
      this.head[other] += skip;
      const theirSpeech = theirs.shift()!;
      this.head[other]++;
      if (speech && theirSpeech === 1) this.overtalkFrames++;
      // Anything this side still holds is older than the other side's oldest frame: unmatchable.
      mine.length = 0;
      this.head[side] = index + 1;
      return;
    }
    if (mine.length === 0) this.head[side] = index;
    mine.push(speech ? 1 : 0);
    if (mine.length > this.maxLagFrames) {
      mine.shift();
      this.head[side]++;
    }
  }
}
