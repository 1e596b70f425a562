// The safe MQTT client over libmosquitto is being written.
