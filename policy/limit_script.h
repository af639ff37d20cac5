/*
 * limit_script.h - limit_script.lua, as a string (made by make)
 */
#ifndef WAYPOST_LIMIT_SCRIPT_H
#define WAYPOST_LIMIT_SCRIPT_H

extern const char limit_script[];

#endif
