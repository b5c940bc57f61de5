import Tauri
import UIKit
import UserNotifications
import WebKit

/// Parkway's push plugin on iOS, driven by the app's Rust (never by the webview):
/// - `token` answers `{token}`, the APNs device token in lower-case hex (as the server takes it);
/// - `newToken` is triggered with `{token}` when APNs gives a token nobody asked for;
/// - `opened` is triggered with `{data}` when a push is tapped, `data` being the JSON text of the
///   push's `data` object; Rust reads the booking from it, where that can be tested;
/// - `takeOpened` answers the tap that launched the app (or `null`): it came before Rust listened.
class PushPlugin: Plugin, UNUserNotificationCenterDelegate {
  /// The running plugin, for the app delegate's callbacks (see `AppDelegateHooks`).
  fileprivate static weak var running: PushPlugin?

  /// The notification delegate found at load (tauri-plugin-notification's): there is one per
  /// app, so this plugin takes the place and passes on everything that is not a push.
  private weak var previous: UNUserNotificationCenterDelegate?
  /// `token` calls waiting for APNs. Touched on the main queue only, like the fields below.
  private var waiting: [Invoke] = []
  private var heldTap: String?
  private var listening = false

  override func load(webview: WKWebView) {
    PushPlugin.running = self
    let center = UNUserNotificationCenter.current()
    previous = center.delegate
    // The tap that launched the app goes to the delegate set by the end of launch; plugins load
    // during launch.
    center.delegate = self
    AppDelegateHooks.install()
  }

  @objc func token(_ invoke: Invoke) {
    DispatchQueue.main.async {
      self.waiting.append(invoke)
      // Asking to show alerts is answered at once when the user already decided. The token does
      // not wait for the answer: APNs gives one either way.
      UNUserNotificationCenter.current().requestAuthorization(options: [.alert, .sound, .badge]) { _, _ in }
      UIApplication.shared.registerForRemoteNotifications()
    }
  }

  @objc func takeOpened(_ invoke: Invoke) {
    DispatchQueue.main.async {
      self.listening = true
      if let data = self.heldTap {
        self.heldTap = nil
        invoke.resolve(["data": data])
      } else {
        invoke.resolve()
      }
    }
  }

  fileprivate func registered(_ deviceToken: Data) {
    let hex = deviceToken.map { String(format: "%02x", $0) }.joined()
    if waiting.isEmpty {
      trigger("newToken", data: ["token": hex])
    }
    for invoke in waiting {
      invoke.resolve(["token": hex])
    }
    waiting.removeAll()
  }

  fileprivate func failed(_ error: Error) {
    // No push entitlement, or no network to reach APNs: Rust logs it and asks again next time.
    for invoke in waiting {
      invoke.reject(error.localizedDescription)
    }
    waiting.removeAll()
  }

  func userNotificationCenter(
    _ center: UNUserNotificationCenter,
    willPresent notification: UNNotification,
    withCompletionHandler completionHandler: @escaping (UNNotificationPresentationOptions) -> Void
  ) {
    // A push arriving while the app is open: its WebSocket shows every notification already.
    if notification.request.trigger is UNPushNotificationTrigger {
      completionHandler([])
      return
    }
    if previous?.userNotificationCenter?(center, willPresent: notification, withCompletionHandler: completionHandler) == nil {
      completionHandler([])
    }
  }

  func userNotificationCenter(
    _ center: UNUserNotificationCenter,
    didReceive response: UNNotificationResponse,
    withCompletionHandler completionHandler: @escaping () -> Void
  ) {
    guard response.notification.request.trigger is UNPushNotificationTrigger else {
      // A local notification or one of its buttons: tauri-plugin-notification's.
      if previous?.userNotificationCenter?(center, didReceive: response, withCompletionHandler: completionHandler) == nil {
        completionHandler()
      }
      return
    }
    if response.actionIdentifier == UNNotificationDefaultActionIdentifier,
      let data = response.notification.request.content.userInfo["data"],
      JSONSerialization.isValidJSONObject(data),
      let json = try? JSONSerialization.data(withJSONObject: data),
      let text = String(data: json, encoding: .utf8)
    {
      if listening {
        trigger("opened", data: ["data": text])
      } else {
        heldTap = text
      }
    }
    completionHandler()
  }
}

/// APNs answers `registerForRemoteNotifications` through two `UIApplicationDelegate` methods,
/// and the app delegate is Tauri's, which does not implement them: they are added to its class
/// at run time (or, should it have them one day, run after its own).
private enum AppDelegateHooks {
  private static var installed = false

  static func install() {
    guard !installed, let delegate = UIApplication.shared.delegate else { return }
    installed = true
    let cls: AnyClass = type(of: delegate)
    add(
      to: cls,
      #selector(UIApplicationDelegate.application(_:didRegisterForRemoteNotificationsWithDeviceToken:))
    ) { token in
      guard let token = token as? Data else { return }
      DispatchQueue.main.async { PushPlugin.running?.registered(token) }
    }
    add(
      to: cls,
      #selector(UIApplicationDelegate.application(_:didFailToRegisterForRemoteNotificationsWithError:))
    ) { error in
      guard let error = error as? Error else { return }
      DispatchQueue.main.async { PushPlugin.running?.failed(error) }
    }
  }

  /// Adds `selector` (`application:…:` taking one object) to `cls`, calling `handler` with the
  /// object; when `cls` has it already, its own runs first.
  private static func add(to cls: AnyClass, _ selector: Selector, handler: @escaping (AnyObject) -> Void) {
    let added: @convention(block) (AnyObject, UIApplication, AnyObject) -> Void = { _, _, object in
      handler(object)
    }
    if class_addMethod(cls, selector, imp_implementationWithBlock(added), "v@:@@") {
      return
    }
    guard let method = class_getInstanceMethod(cls, selector) else { return }
    typealias Original = @convention(c) (AnyObject, Selector, UIApplication, AnyObject) -> Void
    let original = unsafeBitCast(method_getImplementation(method), to: Original.self)
    let chained: @convention(block) (AnyObject, UIApplication, AnyObject) -> Void = { this, app, object in
      original(this, selector, app, object)
      handler(object)
    }
    method_setImplementation(method, imp_implementationWithBlock(chained))
  }
}

@_cdecl("init_plugin_parkway_push")
func initPlugin() -> Plugin {
  return PushPlugin()
}
