#ifndef SORTGATE_BENCH_CMODBUS_SHIM_H
#define SORTGATE_BENCH_CMODBUS_SHIM_H
#include <modbus.h>
#endif
