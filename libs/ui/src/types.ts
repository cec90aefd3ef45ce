export interface SelectOption {
  value: string;
  label: string;
  disabled?: boolean;
}

export type ButtonVariant = 'primary' | 'secondary' | 'danger' | 'ghost';
export type Tone = 'info' | 'success' | 'warning' | 'error';
export type BadgeTone = 'neutral' | 'brand' | 'info' | 'success' | 'warning' | 'danger';

export interface NavLink {
  label: string;
  href: string;
}
