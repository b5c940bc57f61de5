// swift-tools-version:5.5

import PackageDescription

let package = Package(
  name: "tauri-plugin-parkway-push",
  platforms: [
    .macOS(.v10_13),
    .iOS(.v13),
  ],
  products: [
    .library(
      name: "tauri-plugin-parkway-push",
      type: .static,
      targets: ["tauri-plugin-parkway-push"])
  ],
  dependencies: [
    // Put there by Tauri's build step (tauri-plugin) when the app is built for iOS.
    .package(name: "Tauri", path: "../.tauri/tauri-api")
  ],
  targets: [
    .target(
      name: "tauri-plugin-parkway-push",
      dependencies: [
        .byName(name: "Tauri")
      ],
      path: "Sources")
  ]
)
