/*
 * route_settle_script.h - route_settle.lua, as a string (made by make)
 */
#ifndef WAYPOST_ROUTE_SETTLE_SCRIPT_H
#define WAYPOST_ROUTE_SETTLE_SCRIPT_H

extern const char route_settle_script[];

#endif
