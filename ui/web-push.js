// Web Push in the web UI: this browser's push subscription, registered with the server as a
// device of the signed-in user, and removed again at sign-out. The wasm decides when to offer
// it (after a booking request, never on load); this file only speaks the browser's push API.
(() => {
  // The device id the server gave this browser's subscription.
  const KEPT = 'parkway.pushDevice';

  function base() {
    return (localStorage.getItem('parkway.apiBase') || window.parkwayConfig?.apiBase || '').replace(/\/$/, '');
  }

  async function call(method, path, token, body) {
    const answer = await fetch(base() + path, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body,
    });
    if (!answer.ok) throw new Error(`${method} ${path}: ${answer.status}`);
    return answer.status === 204 ? null : answer.json();
  }

  function bytes(base64url) {
    const text = atob(base64url.replace(/-/g, '+').replace(/_/g, '/'));
    return Uint8Array.from(text, (c) => c.charCodeAt(0));
  }

  async function unsubscribe() {
    const registration = await navigator.serviceWorker?.getRegistration();
    const subscription = await registration?.pushManager?.getSubscription();
    await subscription?.unsubscribe();
  }

  function supported() {
    return 'PushManager' in window && 'Notification' in window && !!navigator.serviceWorker;
  }

  window.parkwayPush = {
    // 'on' (this browser is registered), 'off', 'denied' (the person said no) or 'unavailable'.
    state: () => {
      if (!supported()) return 'unavailable';
      if (Notification.permission === 'denied') return 'denied';
      return localStorage.getItem(KEPT) && Notification.permission === 'granted' ? 'on' : 'off';
    },
    // Asks for permission (the person pressed the button), subscribes and registers the
    // subscription; answers the state after it.
    enable: async (token) => {
      if (!supported()) return 'unavailable';
      const key = await fetch(`${base()}/api/push/web-key`);
      if (!key.ok) return 'unavailable';
      const { publicKey } = await key.json();
      if ((await Notification.requestPermission()) !== 'granted') return 'denied';
      const registration = await navigator.serviceWorker.ready;
      const subscription = await registration.pushManager.subscribe({
        userVisibleOnly: true,
        applicationServerKey: bytes(publicKey),
      });
      const { endpoint, keys } = subscription.toJSON();
      const device = await call('POST', '/api/devices', token, JSON.stringify({
        platform: 'web',
        subscription: { endpoint, keys: { p256dh: keys.p256dh, auth: keys.auth } },
      }));
      localStorage.setItem(KEPT, device.id);
      return 'on';
    },
    // At sign-out, while the session still works: the server forgets this browser, and the
    // browser its subscription, so the next person here is not told someone else's news. The
    // device is read at once, before anything else can run.
    disable: (token) => {
      const id = localStorage.getItem(KEPT);
      localStorage.removeItem(KEPT);
      const deleted = id && token ? call('DELETE', `/api/devices/${id}`, token).catch(() => {}) : null;
      return Promise.all([deleted, unsubscribe()]);
    },
    // Signed out without the session (it expired or was ended elsewhere): the browser drops its
    // subscription, and the server drops the device when its push service answers it is gone.
    forget: () => {
      if (!localStorage.getItem(KEPT)) return Promise.resolve();
      localStorage.removeItem(KEPT);
      return unsubscribe();
    },
  };
})();
