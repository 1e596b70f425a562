#ifndef SORTGATE_CMOSQUITTO_SHIM_H
#define SORTGATE_CMOSQUITTO_SHIM_H
#include <mosquitto.h>
#endif
