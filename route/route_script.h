/*
 * route_script.h - route_script.lua, as a string (made by make)
 */
#ifndef WAYPOST_ROUTE_SCRIPT_H
#define WAYPOST_ROUTE_SCRIPT_H

extern const char route_script[];

#endif
