#ifndef FLOWLOG_CLIBYAML_SHIM_H
#define FLOWLOG_CLIBYAML_SHIM_H
#include <yaml.h>
#endif
