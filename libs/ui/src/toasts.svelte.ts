export type ToastKind = 'info' | 'success' | 'warning' | 'error';

export interface Toast {
  id: number;
  kind: ToastKind;
  title: string;
  message?: string;
  /** ms before it goes away on its own; 0 keeps it until dismissed. */
  timeout: number;
}

export type ToastInput = Omit<Toast, 'id' | 'timeout' | 'kind'> & Partial<Pick<Toast, 'timeout' | 'kind'>>;

/** Page-wide notifications, rendered by `<ToastRegion />` (AppShell includes one). */
export class Toaster {
  items = $state<Toast[]>([]);
  #next = 1;

  push(input: ToastInput): number {
    const kind = input.kind ?? 'info';
    const toast: Toast = { ...input, kind, id: this.#next++, timeout: input.timeout ?? (kind === 'error' ? 0 : 5000) };
    this.items = [...this.items.slice(-4), toast];
    if (toast.timeout > 0) setTimeout(() => this.dismiss(toast.id), toast.timeout);
    return toast.id;
  }

  dismiss(id: number): void {
    this.items = this.items.filter((t) => t.id !== id);
  }

  info(title: string, message?: string): number {
    return this.push({ kind: 'info', title, ...(message ? { message } : {}) });
  }
  success(title: string, message?: string): number {
    return this.push({ kind: 'success', title, ...(message ? { message } : {}) });
  }
  warning(title: string, message?: string): number {
    return this.push({ kind: 'warning', title, ...(message ? { message } : {}) });
  }
  error(title: string, message?: string): number {
    return this.push({ kind: 'error', title, ...(message ? { message } : {}) });
  }
}

export const toasts = new Toaster();
