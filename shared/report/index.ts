/**
 * The fleet page: a view model of every gateway deployment (worst first) and its HTML rendering.
 * Pure: data in, HTML out; no SDK, no I/O.
 */
export { fleetView, type FleetInput, type FleetView, type FleetRow, type Urgency } from "./model.js";
export { renderFleetPage, type FleetPageOptions } from "./page.js";
