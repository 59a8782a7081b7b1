// What the runner needs from an attack surface: one input per step (returning a printable description for the
// reproduction log), a probe that proves the peer still answers, and an end of batch that lets go of everything
// the surface opened (so that fd counts can settle back to the baseline).
export interface Surface {
  readonly name: string;
  /** Processes this surface attacks, by label (their exits are this surface's crashes). */
  readonly targets: readonly string[];
  /** Sends one input; never throws for what the peer does. */
  step(): Promise<string>;
  /** Resolves once the attacked peer answered an honest request; rejects (or never resolves) if it cannot. */
  probe(): Promise<void>;
  endBatch(): Promise<void>;
}
