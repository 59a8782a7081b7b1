// Frontend domain ids as Xen gives them to guests: 1 .. DOMID_FIRST_RESERVED - 1 (0x7FEF; the ids from 0x7FF0 up
// are Xen's reserved DOMID_SELF, DOMID_IO and friends). Ids count up from the last one given and wrap to 1, so an
// id is reused only after tens of thousands of connections, and never while its frontend is connected.
export const FIRST_DOMID = 1;
export const LAST_DOMID = 0x7fef;

export class DomainIds {
  private last: number;

  constructor(first = FIRST_DOMID) {
    this.last = first - 1;
  }

  /** The next id that `inUse` does not hold; undefined when every id is in use. */
  take(inUse: (id: number) => boolean): number | undefined {
    for (let tried = 0; tried <= LAST_DOMID - FIRST_DOMID; tried++) {
      const id = this.last >= LAST_DOMID ? FIRST_DOMID : this.last + 1;
      this.last = id;
      if (!inUse(id)) return id;
    }
    return undefined;
  }
}
