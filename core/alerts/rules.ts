// Per-tenant alert rules evaluated on each score event of a call, with hysteresis (a rule re-arms
// only after the value falls clearly back) and a cooldown (no repeat of a rule on the same call and
// speaker within cooldownMs of call time), so an agent is not spammed. Time is the call's own
// timeline (window end offsets), which makes the rules deterministic and replayable.
// An alert's message states its rule and the numbers that triggered it, and never claims more than
// they show: a sustained run survives dips within the hysteresis band, so it reports the run's peak
// (its `value`, at or above the threshold by construction) and the current value separately.
import { z } from 'zod';
import type { AlertEvent, AlertRule, ScoreEvent, SpeakerRole } from '../events/schema.ts';

export const alertRulesSchema = z.strictObject({
  customerFrustration: z.strictObject({
    enabled: z.boolean(),
    /** Fires when frustration stays at or above `threshold` for `sustainMs`. */
    threshold: z.number().min(0).max(1),
    /** Severity becomes critical at or above this value. */
    criticalThreshold: z.number().min(0).max(1),
    sustainMs: z.number().int().nonnegative(),
  }),
  customerNegativeShift: z.strictObject({
    enabled: z.boolean(),
    /** Fires when valence drops by at least `drop` below its maximum over the last `lookbackMs`. */
    drop: z.number().gt(0).max(2),
    lookbackMs: z.number().int().positive(),
  }),
  /** Only evaluated where the tenant's policy allows agent emotion scoring. */
  agentAnger: z.strictObject({
    enabled: z.boolean(),
    threshold: z.number().min(0).max(1),
    sustainMs: z.number().int().nonnegative(),
  }),
  /** A rule re-arms once its value is this far back on the safe side of the threshold. */
  hysteresis: z.number().min(0).max(1),
  cooldownMs: z.number().int().nonnegative(),
});
export type AlertRules = z.infer<typeof alertRulesSchema>;

export const DEFAULT_ALERT_RULES: AlertRules = {
  customerFrustration: { enabled: true, threshold: 0.4, criticalThreshold: 0.7, sustainMs: 5000 },
  customerNegativeShift: { enabled: true, drop: 0.6, lookbackMs: 15_000 },
  agentAnger: { enabled: true, threshold: 0.6, sustainMs: 5000 },
  hysteresis: 0.1,
  cooldownMs: 60_000,
};

interface RuleState {
  /** Call time at which the value first reached the threshold in the current run. */
  runStartMs: number | null;
  /** Highest value of the current run. */
  runPeak: number;
  armed: boolean;
  lastFiredMs: number | null;
}

/** Alert state of one call; feed it that call's score events in order. */
export class CallAlertRules {
  private readonly state = new Map<AlertRule, RuleState>();
  private readonly valenceHistory: Array<{ atMs: number; valence: number }> = [];
  private fired = 0;

  constructor(
    private readonly rules: AlertRules,
    /** Agent rules run only when the tenant allows agent emotion scoring. */
    private readonly agentScoringAllowed: boolean,
    private readonly now: () => number,
  ) {}

  /** Alerts fired so far on this call. */
  get count(): number {
    return this.fired;
  }

  evaluate(score: ScoreEvent): AlertEvent[] {
    const out: AlertEvent[] = [];
    const r = this.rules;
    const at = score.windowEndMs;
    if (score.speaker === 'customer') {
      if (r.customerFrustration.enabled) {
        const c = r.customerFrustration;
        const rule = 'customer_frustration_sustained';
        const peak = this.sustained(rule, score.frustration, c.threshold, c.sustainMs, at);
        if (peak !== null) {
          const critical = score.frustration >= c.criticalThreshold;
          out.push(
            this.alert(score, rule, peak, c.threshold, {
              critical,
              message: `${this.sustainedMessage('customer frustration', c.threshold, c.sustainMs, peak, score.frustration)}${critical ? `; critical at ${c.criticalThreshold.toFixed(2)} or above` : ''}`,
            }),
          );
        }
      }
      if (r.customerNegativeShift.enabled) {
        const s = r.customerNegativeShift;
        this.valenceHistory.push({ atMs: at, valence: score.valence });
        while (this.valenceHistory[0]!.atMs < at - s.lookbackMs) this.valenceHistory.shift();
        const peak = Math.max(...this.valenceHistory.map((h) => h.valence));
        const drop = peak - score.valence;
        if (this.crossing('customer_negative_shift', drop, s.drop, at))
          out.push(
            this.alert(score, 'customer_negative_shift', drop, s.drop, {
              critical: false,
              message: `customer valence fell by ${drop.toFixed(2)} within ${s.lookbackMs / 1000} s (rule: a fall of ${s.drop.toFixed(2)} or more)`,
            }),
          );
      }
    } else if (this.agentScoringAllowed && r.agentAnger.enabled) {
      const a = r.agentAnger;
      const peak = this.sustained('agent_anger', score.probs.angry, a.threshold, a.sustainMs, at);
      if (peak !== null)
        out.push(
          this.alert(score, 'agent_anger', peak, a.threshold, {
            critical: false,
            message: this.sustainedMessage('agent anger', a.threshold, a.sustainMs, peak, score.probs.angry),
          }),
        );
    }
    this.fired += out.length;
    return out;
  }

  private ruleState(rule: AlertRule): RuleState {
    let s = this.state.get(rule);
    if (!s) {
      s = { runStartMs: null, runPeak: 0, armed: true, lastFiredMs: null };
      this.state.set(rule, s);
    }
    return s;
  }

  /**
   * Value at or above threshold (dips within the hysteresis band allowed) for sustainMs, armed, and
   * out of cooldown: returns the run's peak when the rule fires, else null.
   */
  private sustained(
    rule: AlertRule,
    value: number,
    threshold: number,
    sustainMs: number,
    at: number,
  ): number | null {
    const s = this.ruleState(rule);
    // A run starts at the threshold and survives dips that stay within the hysteresis band.
    if (value >= threshold) {
      if (s.runStartMs === null) {
        s.runStartMs = at;
        s.runPeak = value;
      }
    } else if (value < threshold - this.rules.hysteresis) s.runStartMs = null;
    if (s.runStartMs !== null) s.runPeak = Math.max(s.runPeak, value);
    const fires = this.crossing(
      rule,
      s.runStartMs !== null && at - s.runStartMs >= sustainMs ? 1 : 0,
      1,
      at,
      value,
      threshold,
    );
    return fires ? s.runPeak : null;
  }

  /** e.g. "customer frustration sustained (rule: 0.40 or above for 5 s, dips to 0.30 allowed): peak 0.61, now 0.38". */
  private sustainedMessage(what: string, threshold: number, sustainMs: number, peak: number, now: number) {
    const floor = threshold - this.rules.hysteresis;
    const dips = this.rules.hysteresis > 0 ? `, dips to ${Math.max(0, floor).toFixed(2)} allowed` : '';
    return `${what} sustained (rule: ${threshold.toFixed(2)} or above for ${sustainMs / 1000} s${dips}): peak ${peak.toFixed(2)}, now ${now.toFixed(2)}`;
  }

  /**
   * Fires when `value` reaches `threshold` while armed and out of cooldown; disarms until the
   * hysteresis value (`rearmValue`, defaulting to `value`) falls below threshold − hysteresis.
   */
  private crossing(
    rule: AlertRule,
    value: number,
    threshold: number,
    at: number,
    rearmValue = value,
    rearmThreshold = threshold,
  ): boolean {
    const s = this.ruleState(rule);
    if (!s.armed && rearmValue < rearmThreshold - this.rules.hysteresis) s.armed = true;
    if (value < threshold || !s.armed) return false;
    if (s.lastFiredMs !== null && at - s.lastFiredMs < this.rules.cooldownMs) return false;
    s.armed = false;
    s.lastFiredMs = at;
    return true;
  }

  private alert(
    score: ScoreEvent,
    rule: AlertRule,
    value: number,
    threshold: number,
    opts: { critical: boolean; message: string },
  ): AlertEvent {
    const speaker: SpeakerRole = score.speaker;
    return {
      schemaVersion: score.schemaVersion,
      eventId: `${score.callId}:alert:${rule}:${score.windowEndMs}`,
      tenantId: score.tenantId,
      callId: score.callId,
      agentId: score.agentId,
      queue: score.queue,
      ...(score.customerId ? { customerId: score.customerId } : {}),
      producedAtMs: Math.round(this.now()),
      type: 'alert',
      rule,
      speaker,
      severity: opts.critical ? 'critical' : 'warning',
      atMs: score.windowEndMs,
      value,
      threshold,
      message: opts.message,
    };
  }
}
