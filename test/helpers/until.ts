// Waiting for a condition that another process or a later turn of the event loop makes true. No deadline of its
// own: the test's timeout is the only bound, so a loaded machine is slower, never wrong; a product that never
// gets there still fails (by that timeout, or by the assertion after the wait).
export async function until(cond: () => boolean | Promise<boolean>, everyMs = 10): Promise<void> {
  while (!(await cond())) await new Promise((r) => setTimeout(r, everyMs));
}
