#ifndef SORTGATE_BENCH_CMOSQUITTO_SHIM_H
#define SORTGATE_BENCH_CMOSQUITTO_SHIM_H
#include <mosquitto.h>
#endif
