/**
 * Settings sections for the workspace's data model, shown inside the settings screen
 * (features/settings): custom fields and objects, pipelines and stages.
 */
export { FieldsSettings } from "./FieldsSettings";
export { ObjectsSettings } from "./ObjectsSettings";
export { PipelinesSettings } from "./PipelinesSettings";
