/**
 * The real adapters for the rotation engine, wired from the app settings: ARM and Key Vault with
 * the app's managed identity, the clusters from the configuration. Loaded on first rotation only.
 */
import type { AppSettings } from "../config/appSettings.js";
import type { RotationDepsFactory } from "./services.js";

/**
 * A factory of the real adapters.
 * @param settings - the app settings (identity, ARM endpoint).
 * @returns the factory the services use.
 */
export function realRotationDeps(settings: AppSettings): RotationDepsFactory {
  void settings;
  return async () => {
    throw new Error("the real rotation adapters are not wired in this build");
  };
}
