/**
 * Queue names, in a module of their own so that registering the queue triggers loads nothing else.
 */

/** Name of the queue the worker listens on. */
export const rotationQueueName = "gateway-rotations";
/** Where the Functions host moves a message after `maxDequeueCount` failed attempts (`<queue>-poison`). */
export const rotationPoisonQueueName = `${rotationQueueName}-poison`;
/** The app setting (prefix) of the storage connection the queue triggers use. */
export const storageConnectionName = "AzureWebJobsStorage";
