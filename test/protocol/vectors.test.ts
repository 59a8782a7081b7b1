// Every vector of displif-v1.json and displif-v2.json, byte for byte in both directions.
import { describe, expect, it } from 'vitest';
import { Op, PAGE_SIZE } from '../../protocol/displif/constants.js';
import { decodeRequest, encodeRequest, type Request } from '../../protocol/displif/request.js';
import { decodeResponse, encodeResponse, type Response } from '../../protocol/displif/response.js';
import { decodeEvent, encodeEvent, type Event } from '../../protocol/displif/event.js';
import { pagesForSize, readPageDirectory, writePageDirectory } from '../../protocol/displif/page-directory.js';
import { BackRing, FrontRing, notifyNeeded, ringSlotOffset } from '../../protocol/ring/shared-ring.js';
import { EventConsumer, EventProducer, eventSlotOffset } from '../../protocol/ring/event-ring.js';
import { camelFields, fromHex, loadSpec, toHex, type SpecFile, type Vector } from './spec.js';

const KIND_OF_OP: Record<number, Request['kind']> = {
  [Op.DBUF_CREATE]: 'dbufCreate',
  [Op.DBUF_DESTROY]: 'dbufDestroy',
  [Op.FB_ATTACH]: 'fbAttach',
  [Op.FB_DETACH]: 'fbDetach',
  [Op.SET_CONFIG]: 'setConfig',
  [Op.PG_FLIP]: 'pgFlip',
  [Op.GET_EDID]: 'getEdid',
};

/** The request's union member in struct xendispl_req: the kind in snake_case (dbufCreate → dbuf_create). */
function structOf(kind: Request['kind']): string {
  return kind.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

function expectedRequest(v: Vector): Request {
  return { kind: KIND_OF_OP[Number(v.fields.operation)]!, ...camelFields(v.fields) } as Request;
}

function expectedResponse(v: Vector, version: 1 | 2): Response {
  const kind = version === 2 && v.fields.operation === Op.GET_EDID ? 'getEdid' : 'generic';
  return { kind, ...camelFields(v.fields) } as Response;
}

function expectedEvent(v: Vector): Event {
  return { kind: 'pgFlip', ...camelFields(v.fields) } as Event;
}

/** Bytes the struct defines for this packet (from the spec's offsets); every other byte is reserved. */
function usedBytes(spec: SpecFile, structName: string, names: (name: string) => boolean): Set<number> {
  const used = new Set<number>();
  for (const f of spec.structs[structName]!.fields) {
    if (names(f.name)) for (let i = 0; i < f.size; i++) used.add(f.offset + i);
  }
  return used;
}

/** The vector's packet with every reserved byte set to stale junk, as a reused Linux ring slot can have. */
function withJunk(bytes: Uint8Array, used: Set<number>): Uint8Array {
  const dirty = bytes.slice();
  for (let i = 0; i < dirty.length; i++) if (!used.has(i)) dirty[i] = 0xa5 ^ i;
  return dirty;
}

const HEADER_FIELDS = new Set(['id', 'operation', 'type', 'status']);

for (const version of [1, 2] as const) {
  const spec = loadSpec(version);
  const byName = new Map(spec.vectors.map((v) => [v.name, v]));
  const special = new Set(['page_directory_3grefs', 'event_page_header', 'req_ring_page_after_first_push']);
  const requests = spec.vectors.filter((v) => v.name.startsWith('req_') && !special.has(v.name));
  const responses = spec.vectors.filter((v) => v.name.startsWith('resp_'));
  const events = spec.vectors.filter((v) => v.name.startsWith('evt_'));

  describe(`displif-v${version}.json`, () => {
    it('has only vectors these tests know', () => {
      expect(requests.length + responses.length + events.length + special.size).toBe(spec.vectors.length);
      expect(requests.length).toBe(version === 2 ? 9 : 8);
    });

    describe.each(requests.map((v) => [v.name, v] as const))('request %s', (_, v) => {
      const bytes = fromHex(v.hex);
      const op = Number(v.fields.operation);
      const used = usedBytes(spec, 'xendispl_req', (n) => HEADER_FIELDS.has(n) || n.startsWith(`op.${structOf(KIND_OF_OP[op]!)}.`));

      it('encodes to the hex', () => {
        expect(toHex(encodeRequest(expectedRequest(v), version))).toBe(v.hex);
      });
      it('decodes from the hex', () => {
        expect(decodeRequest(bytes, version)).toEqual(expectedRequest(v));
      });
      it('decodes the same with stale junk in reserved bytes, and re-encodes to the clean hex', () => {
        const decoded = decodeRequest(withJunk(bytes, used), version);
        expect(decoded).toEqual(expectedRequest(v));
        expect(toHex(encodeRequest(decoded, version))).toBe(v.hex);
      });
    });

    describe.each(responses.map((v) => [v.name, v] as const))('response %s', (_, v) => {
      const bytes = fromHex(v.hex);
      const edid = version === 2 && v.fields.operation === Op.GET_EDID;
      const used = usedBytes(spec, 'xendispl_resp', (n) => HEADER_FIELDS.has(n) || (edid && n === 'op.get_edid.edid_sz'));

      it('encodes to the hex', () => {
        expect(toHex(encodeResponse(expectedResponse(v, version), version))).toBe(v.hex);
      });
      it('decodes from the hex, also with stale junk in reserved bytes', () => {
        expect(decodeResponse(bytes, version)).toEqual(expectedResponse(v, version));
        expect(decodeResponse(withJunk(bytes, used), version)).toEqual(expectedResponse(v, version));
      });
    });

    describe.each(events.map((v) => [v.name, v] as const))('event %s', (_, v) => {
      const bytes = fromHex(v.hex);
      const used = usedBytes(spec, 'xendispl_evt', (n) => HEADER_FIELDS.has(n) || n.startsWith('op.pg_flip.'));

      it('encodes to the hex', () => {
        expect(toHex(encodeEvent(expectedEvent(v), version))).toBe(v.hex);
      });
      it('decodes from the hex, also with stale junk in reserved bytes', () => {
        expect(decodeEvent(bytes, version)).toEqual(expectedEvent(v));
        expect(decodeEvent(withJunk(bytes, used), version)).toEqual(expectedEvent(v));
      });
    });

    it('page_directory_3grefs: written and read back', () => {
      const v = byName.get('page_directory_3grefs')!;
      const dbuf = byName.get('req_dbuf_create_3grefs')!;
      const grefs = [v.fields.gref0, v.fields.gref1, v.fields.gref2].map(Number);
      const count = pagesForSize(Number(dbuf.fields.buffer_sz));
      expect(count).toBe(3);
      const page = new Uint8Array(PAGE_SIZE).fill(0xee);
      writePageDirectory([page], [Number(dbuf.fields.gref_directory)], grefs);
      expect(toHex(page.subarray(0, v.length))).toBe(v.hex);
      expect(page.subarray(v.length).every((b) => b === 0)).toBe(true);

      const given = new Uint8Array(PAGE_SIZE);
      given.set(fromHex(v.hex));
      const lookup = (gref: number) => (gref === Number(dbuf.fields.gref_directory) ? given : undefined);
      expect(readPageDirectory(lookup, Number(dbuf.fields.gref_directory), count)).toEqual(grefs);
      expect(new DataView(given.buffer).getUint32(0, true)).toBe(v.fields.gref_dir_next_page);
    });

    it('event_page_header: a producer sending one event writes it; a consumer reads one event from it', () => {
      const v = byName.get('event_page_header')!;
      const evt = fromHex(byName.get('evt_pg_flip')!.hex);
      const page = new Uint8Array(PAGE_SIZE);
      const producer = EventProducer.attach(page);
      expect(producer.send(evt)).toBe(true);
      expect(toHex(page.subarray(0, v.length))).toBe(v.hex);

      const given = new Uint8Array(PAGE_SIZE);
      given.set(fromHex(v.hex));
      given.set(evt, eventSlotOffset(0));
      const header = new DataView(given.buffer);
      expect({ in_cons: header.getUint32(0, true), in_prod: header.getUint32(4, true) }).toEqual(v.fields);
      const received = EventConsumer.attach(given).readPending();
      expect(received.map((e) => decodeEvent(e, version))).toEqual([expectedEvent(byName.get('evt_pg_flip')!)]);
      expect(header.getUint32(0, true)).toBe(1);
    });

    it('req_ring_page_after_first_push: init, write req_pg_flip, push; a back ring reads it back', () => {
      const v = byName.get('req_ring_page_after_first_push')!;
      const flip = byName.get('req_pg_flip')!;
      const page = new Uint8Array(PAGE_SIZE);
      const front = FrontRing.init(page);
      front.writeRequest(encodeRequest(expectedRequest(flip), version));
      const notify = front.pushRequests();
      expect(notify).toBe(v.fields.notify === 1);
      expect(toHex(page.subarray(0, v.length))).toBe(v.hex);
      expect(ringSlotOffset(0)).toBe(v.fields.slot0_offset);

      const given = new Uint8Array(PAGE_SIZE);
      given.set(fromHex(v.hex));
      const header = new DataView(given.buffer);
      expect({
        req_prod: header.getUint32(0, true),
        req_event: header.getUint32(4, true),
        rsp_prod: header.getUint32(8, true),
        rsp_event: header.getUint32(12, true),
      }).toEqual({ req_prod: v.fields.req_prod, req_event: v.fields.req_event, rsp_prod: v.fields.rsp_prod, rsp_event: v.fields.rsp_event });
      const back = BackRing.attach(given);
      expect(back.unconsumedRequests()).toBe(1);
      expect(decodeRequest(back.readRequest()!, version)).toEqual(expectedRequest(flip));
      expect(back.readRequest()).toBeUndefined();
    });

    it('after_SHARED_RING_INIT: the header a front ring init writes, over a dirty page', () => {
      const page = new Uint8Array(PAGE_SIZE).fill(0xff);
      FrontRing.init(page);
      expect(toHex(page.subarray(0, 64))).toBe(spec.ring.after_SHARED_RING_INIT.header_hex);
      expect(spec.ring.slots).toBe(32);
    });

    it('event ring slot offsets', () => {
      const er = spec.ring.event_ring;
      for (const idx of [0, 62, 63, 100]) expect(eventSlotOffset(idx)).toBe(er[`offset_of_idx_${idx}`]);
    });

    it.each(spec.ring.notify_examples)('notify example %o', (ex) => {
      expect(notifyNeeded(ex.old_prod, ex.new_prod, ex.event)).toBe(ex.notify);
    });
  });
}

describe('version differences', () => {
  const v2 = loadSpec(2);
  it('a v1 decoder treats GET_EDID (0x16) as an unknown opcode, echoing id and operation', () => {
    const getEdid = fromHex(v2.vectors.find((v) => v.name === 'req_get_edid')!.hex);
    expect(decodeRequest(getEdid, 1)).toEqual({ kind: 'unknown', id: 9, operation: 0x16 });
    const rsp = fromHex(v2.vectors.find((v) => v.name === 'resp_get_edid')!.hex);
    expect(decodeResponse(rsp, 1)).toEqual({ kind: 'generic', id: 9, operation: 0x16, status: 0 });
  });
  it('a v1 decoder ignores data_ofs (reserved in v1)', () => {
    const bytes = fromHex(v2.vectors.find((v) => v.name === 'req_dbuf_create_3grefs')!.hex);
    bytes[40] = 0x10;
    expect(decodeRequest(bytes, 2)).toMatchObject({ dataOfs: 0x10 });
    expect(decodeRequest(bytes, 1)).toMatchObject({ dataOfs: 0 });
  });
});
