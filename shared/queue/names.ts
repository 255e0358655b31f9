/**
 * Queue names and the storage connection of the queue triggers. Defined in
 * `shared/config/triggers.cts` (CommonJS, so that the function entry files register without loading
 * any ES module); re-exported here for the ES modules.
 */
export { rotationPoisonQueueName, rotationQueueName, storageConnectionName } from "../config/triggers.cjs";
