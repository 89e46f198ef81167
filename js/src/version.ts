/**
 * The module name and version the Python widgets ask for (`widget/fields.py`: MODULE, MODULE_VERSION).
 */
export const MODULE_NAME = 'model-import-widget';
export const MODULE_VERSION = '0.1.0';
