#ifndef SORTGATE_CMODBUS_SHIM_H
#define SORTGATE_CMODBUS_SHIM_H
#include <modbus.h>
#endif
