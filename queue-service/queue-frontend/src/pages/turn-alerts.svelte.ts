/**
 * Telling a fan their turn came when they are looking elsewhere (issue 20.2): the tab's
 * title, a short sound, a browser notification and a vibration. Browsers allow sound and
 * the notification prompt only after a user gesture, so the fan turns alerts on with a
 * click while waiting; the title change needs no permission and always happens.
 */
import { activeFormatLocale } from '@ticketslave/ui';
import { t } from '../i18n/t';

export type AlertPermission = 'granted' | 'denied' | 'default' | 'unsupported';

export class TurnAlerts {
  /** Whether the fan turned alerts on (sound unlocked, notification asked). */
  enabled = $state(false);
  notification = $state<AlertPermission>(
    typeof Notification === 'undefined' ? 'unsupported' : (Notification.permission as AlertPermission),
  );
  private audio: AudioContext | null = null;
  private shown: Notification | null = null;

  /** From a click: unlocks sound and asks for notifications (once; the browser remembers). */
  async enable(): Promise<void> {
    this.enabled = true;
    try {
      this.audio ??= new AudioContext();
      await this.audio.resume();
    } catch {
      this.audio = null; // no sound on this device; the other alerts still work
    }
    if (typeof Notification === 'undefined') return;
    if (Notification.permission === 'default') await Notification.requestPermission();
    this.notification = Notification.permission as AlertPermission;
  }

  /** The turn came: every alert the browser allows, once. */
  fire(claimBy: string, onclick: () => void): void {
    this.beep();
    // Phones vibrate only for a page the fan has interacted with (else the browser refuses).
    if (navigator.userActivation?.hasBeenActive) navigator.vibrate?.([250, 120, 250, 120, 400]);
    if (typeof Notification !== 'undefined' && Notification.permission === 'granted' && document.hidden) {
      const until = new Date(claimBy).toLocaleTimeString(activeFormatLocale(), { hour: 'numeric', minute: '2-digit', second: '2-digit' });
      try {
        this.shown = new Notification(t('notification.title'), {
          body: t('notification.body', { until }),
          tag: 'ticketslave-turn',
          requireInteraction: true,
        });
      } catch {
        return; // e.g. a browser that shows notifications only from a service worker
      }
      this.shown.onclick = () => {
        window.focus();
        onclick();
        this.shown?.close();
      };
    }
  }

  /** The turn was claimed or lapsed: no notification left standing. */
  clear(): void {
    this.shown?.close();
    this.shown = null;
  }

  private beep(): void {
    const ctx = this.audio;
    if (!ctx || ctx.state !== 'running') return;
    // Two short rising tones, quiet enough not to startle.
    for (const [i, freq] of [660, 880].entries()) {
      const osc = ctx.createOscillator();
      const gain = ctx.createGain();
      const at = ctx.currentTime + i * 0.22;
      osc.frequency.value = freq;
      gain.gain.setValueAtTime(0.0001, at);
      gain.gain.exponentialRampToValueAtTime(0.2, at + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, at + 0.2);
      osc.connect(gain).connect(ctx.destination);
      osc.start(at);
      osc.stop(at + 0.21);
    }
  }
}
