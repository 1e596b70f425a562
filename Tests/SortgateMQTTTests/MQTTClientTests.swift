// Tests of the MQTT client against a real mosquitto are being written.
