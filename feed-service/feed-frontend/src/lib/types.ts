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
  organisationId: string | null;
  /** My role in the event's organisation (on reads). */
  myRole?: MemberRole | 'admin';
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
  actorEmail: string | null;
  actorRole: string | null;
  action: string;
  details: Record<string, unknown>;
  at: string;
}

export type MemberRole = 'owner' | 'manager' | 'door';

export interface Membership {
  organisationId: string;
  name: string;
  role: MemberRole;
}

export interface Invitation {
  id: string;
  organisationId: string;
  organisationName: string;
  email: string;
  role: MemberRole;
  invitedByEmail: string;
  createdAt: string;
  expiresAt: string;
}

export interface Organisation {
  id: string;
  name: string;
  settings: { releaseSeatsOnExternalRefund: boolean };
  myRole: MemberRole | 'admin';
  members: { userId: string; email: string; role: MemberRole; since: string }[] | null;
  invitations: Invitation[] | null;
}

export type ExpectedAudience = 'up_to_500' | 'up_to_5000' | 'up_to_50000' | 'more';

export interface Application {
  id: string;
  userId: string;
  email: string;
  organisationName: string;
  contactName: string;
  phone: string;
  website: string;
  expectedAudience: ExpectedAudience;
  message: string;
  status: 'pending' | 'approved' | 'rejected';
  decisionReason: string | null;
  decidedAt: string | null;
  organisationId: string | null;
  createdAt: string;
}

export const AUDIENCES: { value: ExpectedAudience; label: string }[] = [
  { value: 'up_to_500', label: 'Up to 500 people per event' },
  { value: 'up_to_5000', label: '500 – 5,000' },
  { value: 'up_to_50000', label: '5,000 – 50,000' },
  { value: 'more', label: 'More than 50,000' },
];

export const ROLE_LABELS: Record<MemberRole, { name: string; does: string }> = {
  owner: { name: 'Owner', does: 'everything, including the team' },
  manager: { name: 'Manager', does: 'events, orders and refunds' },
  door: { name: 'Door staff', does: 'check-in only' },
};

/** purchase's answers to the organiser (GET /purchase/api/organiser/…). */
export interface SaleFigures {
  currency: string | null;
  grossMinor: number;
  refundedMinor: number;
  netMinor: number;
  paidOrders: number;
  byCategory: {
    categoryId: string;
    name: string;
    available: number;
    held: number;
    sold: number;
    validTickets: number;
    checkedIn: number;
    voidTickets: number;
  }[];
}

export type OrderStatus = 'pending_payment' | 'confirmed' | 'paid' | 'expired' | 'cancelled' | 'failed' | 'refunded';

export interface OrganiserOrder {
  orderId: string;
  createdAt: string;
  email: string;
  buyerName: string | null;
  status: OrderStatus;
  amountMinor: number;
  refundedMinor: number;
  currency: string;
  tickets: number;
  checkedIn: number;
  categoryIds: string[];
}

export interface OrderTotals {
  orders: number;
  tickets: number;
  checkedIn: number;
  grossMinor: number;
  refundedMinor: number;
  netMinor: number;
  currency: string | null;
}

export interface OrderDetail {
  order: {
    orderId: string;
    eventId: string;
    eventTitle: string;
    timeZone: string;
    email: string;
    buyerName: string | null;
    status: OrderStatus;
    reason: string | null;
    amountMinor: number;
    refundedMinor: number;
    currency: string;
    createdAt: string;
  };
  tickets: {
    ticketId: string;
    unitId: string;
    categoryId: string;
    section: string | null;
    row: string | null;
    seat: number | null;
    priceMinor: number;
    status: 'valid' | 'void';
    checkedInAt: string | null;
    refundId: string | null;
  }[];
  refunds: {
    refundId: string;
    source: string;
    status: 'requested' | 'refunded' | 'failed';
    amountMinor: number;
    reason: string;
    releaseSeats: boolean;
    requestedByEmail: string | null;
    failure: string | null;
    createdAt: string;
    settledAt: string | null;
    ticketIds: string[];
  }[];
  refundableMinor: number;
  timeline: { at: string; kind: string; text: string }[];
}
