export interface PriceRange {
  minMinor: number;
  maxMinor: number;
  currency: string;
}

export type EventStatus = 'draft' | 'published' | 'on_sale' | 'sold_out' | 'completed' | 'cancelled';

export interface EventSummary {
  id: string;
  title: string;
  artist: string;
  venue: string;
  city: string;
  startsAt: string | null;
  saleStartsAt: string | null;
  /** The venue's IANA zone; times are shown on its clock. */
  timeZone: string;
  posterUrl: string | null;
  status: EventStatus;
  priceRange: PriceRange | null;
}

export interface RowRange {
  from: string;
  to?: string;
  seats: number;
}

export interface Section {
  name: string;
  rows: RowRange[];
}

export type Category =
  | { id: string; name: string; kind: 'reserved'; priceMinor: number; currency: string; sections: Section[] }
  | { id: string; name: string; kind: 'ga'; priceMinor: number; currency: string; capacity: number };

export interface QueueSettings {
  admitRatePerMinute: number;
  maxActiveShoppers: number;
  awayGraceSeconds: number;
}

export interface EventDetails extends EventSummary {
  description: string;
  doorsAt: string | null;
  perUserLimit: number;
  holdSeconds: number;
  bufferGraceSeconds: number;
  queue: QueueSettings;
  cancelReason: string | null;
  capacity: number | null;
  categories: (Category & { capacity: number })[];
  stock: { available: number; held: number; sold: number; updatedAt: string | null } | null;
  buffer: { total: number | null; commitment: string; closedAt: string | null } | null;
}

export interface EventInput {
  title: string;
  artist: string;
  description: string;
  venue: string;
  city: string;
  startsAt: string | null;
  saleStartsAt: string | null;
  doorsAt: string | null;
  timeZone: string;
  bufferGraceSeconds: number;
  queue: QueueSettings;
  holdSeconds: number;
  perUserLimit: number;
  categories: Category[];
}

export interface OrganiserEvent extends EventInput {
  id: string;
  organiserId: string;
  status: 'draft' | 'published' | 'cancelled';
  version: number;
  posterUrl: string | null;
  cancelReason: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface AuditEntry {
  id: string;
  actorId: string;
  action: string;
  details: Record<string, unknown>;
  at: string;
}
